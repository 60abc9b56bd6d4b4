//! FTPS (RFC 4217): explicit AUTH TLS and implicit TLS, driven by curl,
//! lftp, Python's ftplib.FTP_TLS and `openssl s_client`, with a
//! self-signed certificate made at test time.

use crate::support::*;
use std::process::Command;

/// A self-signed certificate and its key in one PEM file (the vsftpd
/// `rsa_cert_file` style). `CA:FALSE` so strict clients accept it as a leaf.
pub(crate) fn certificate(dir: &TempDir) -> String {
    let pem = dir.0.join("rftpd.pem");
    let key = dir.0.join("key.pem");
    run(Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
        .args([
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            pem.to_str().unwrap(),
        ]));
    let both = std::fs::read_to_string(&pem).unwrap() + &std::fs::read_to_string(&key).unwrap();
    std::fs::write(&pem, both).unwrap();
    pem.display().to_string()
}

/// A server with TLS on (anonymous may stay plain; virtual users must use TLS).
pub(crate) fn tls_server(certs: &TempDir, extra: &[(&str, &str)]) -> TestServer {
    let pem = certificate(certs);
    let mut opts = vec![("ssl_enable", "YES"), ("rsa_cert_file", pem.as_str())];
    opts.extend_from_slice(extra);
    TestServer::start(&opts)
}

fn tools(names: &[&str]) -> bool {
    names.iter().all(|t| have(t))
}

fn curl(args: &[&str]) -> String {
    run(Command::new("curl").args(["-sS", "--fail", "--max-time", "60", "-k"]).args(args))
}

#[test]
fn tls_commands_before_and_without_auth() {
    let plain = TestServer::start(&[]);
    let mut c = plain.connect();
    assert_eq!(c.cmd("AUTH TLS").code, 502);
    assert!(!c.cmd("FEAT").text().contains("AUTH TLS"));
    assert_eq!(c.cmd("PBSZ 0").code, 503);

    if !have("openssl") {
        return;
    }
    let certs = TempDir::new("certs");
    let srv = tls_server(&certs, &[("force_anon_data_ssl", "YES")]);
    let mut c = srv.connect();
    let feat = c.cmd("FEAT").text();
    for line in [" AUTH TLS", " PBSZ", " PROT"] {
        assert!(feat.lines().any(|l| l == line), "{feat}");
    }
    assert_eq!(c.cmd("PBSZ 0").code, 503);
    assert_eq!(c.cmd("PROT P").code, 503);
    assert_eq!(c.cmd("CCC").code, 503);
    assert_eq!(c.cmd("AUTH KERBEROS_V4").code, 504);
    assert_eq!(c.cmd("PROT X").code, 501);
    // force_local_logins_ssl (default YES): a virtual user may not log in in the clear.
    let r = c.cmd("USER alice");
    assert_eq!((r.code, r.text()), (530, "530 Non-anonymous sessions must use encryption.".into()));
    // Anonymous may log in in the clear, but force_anon_data_ssl refuses its plain data connections.
    assert_eq!(c.cmd("USER anonymous").code, 331);
    assert_eq!(c.cmd("PASS x").code, 230);
    let _data = c.epsv();
    let r = c.cmd("RETR readme.txt");
    assert_eq!((r.code, r.text()), (522, "522 Data connections must be encrypted: use PROT P.".into()));
    // The session goes on; the refused data connection was dropped.
    assert_eq!(c.cmd("NOOP").code, 200);
    assert_eq!(c.cmd("LIST").code, 522);
}

#[test]
fn curl_ftps_list_download_upload_resume_with_session_reuse() {
    if !tools(&["openssl", "curl"]) {
        return;
    }
    let certs = TempDir::new("certs");
    // require_ssl_reuse stays at its default (YES): curl resumes the control
    // connection's TLS 1.3 session on every data connection.
    let xferlog = certs.0.join("xferlog").display().to_string();
    let srv = tls_server(&certs, &[("xferlog_enable", "YES"), ("xferlog_file", &xferlog)]);
    let base = format!("ftp://alice:secret@127.0.0.1:{}/", srv.addr.port());
    let local = TempDir::new("curl-tls");
    let content = pattern(3 << 20, 5);
    let src = local.0.join("src.bin");
    std::fs::write(&src, &content).unwrap();
    // Passive modes only: curl 7.88 (Debian 12) fails active-mode FTPS on its
    // own side ("sa_addr inet_ntop() failed" once it accepts the data
    // connection, before any TLS byte); lftp covers active mode below.
    for mode in [&["--ftp-pasv"][..], &["--disable-epsv"]] {
        let mut args = vec!["--ssl-reqd"];
        args.extend_from_slice(mode);
        curl(&[&args[..], &["-T", src.to_str().unwrap(), &format!("{base}up.bin")]].concat());
        assert_eq!(std::fs::read(srv.path("home/alice/up.bin")).unwrap(), content, "{mode:?}");
        let out = local.0.join("down.bin");
        curl(&[&args[..], &["-o", out.to_str().unwrap(), &format!("{base}up.bin")]].concat());
        assert_eq!(std::fs::read(&out).unwrap(), content, "{mode:?}");
        let listing = curl(&[&args[..], &[base.as_str()]].concat());
        assert!(listing.lines().any(|l| l.starts_with("-rw-r--r--") && l.ends_with(" up.bin")), "{listing}");
    }
    let part = local.0.join("part.bin");
    std::fs::write(&part, &content[..1_000_000]).unwrap();
    curl(&["--ssl-reqd", "-C", "-", "-o", part.to_str().unwrap(), &format!("{base}up.bin")]);
    assert_eq!(std::fs::read(&part).unwrap(), content);
    // Without TLS the same user is refused, and says so.
    let out = Command::new("curl").args(["-sS", "--max-time", "20", &base]).output().unwrap();
    assert!(!out.status.success());
    assert!(srv.wait_log("TLS TLSv1_3").contains("TLS13_"));
    // xferlog names the service ftps for transfers over TLS.
    let log = std::fs::read_to_string(&xferlog).unwrap();
    let first: Vec<&str> = log.lines().next().unwrap().split_whitespace().collect();
    assert_eq!((first.len(), first[14], first[17]), (18, "ftps", "c"), "{log}");
}

#[test]
fn implicit_ftps_with_curl() {
    if !tools(&["openssl", "curl"]) {
        return;
    }
    let certs = TempDir::new("certs");
    let srv = tls_server(&certs, &[("ssl_enable", "NO"), ("implicit_ssl", "YES")]);
    let base = format!("ftps://alice:secret@127.0.0.1:{}/", srv.addr.port());
    std::fs::write(srv.path("home/alice/f.txt"), "implicit\n").unwrap();
    assert_eq!(curl(&[&format!("{base}f.txt")]), "implicit\n");
    let listing = curl(&[&base]);
    assert!(listing.contains(" f.txt"), "{listing}");
    // Plaintext on an implicit listener gets no greeting, only a TLS alert and the end.
    let mut raw = FtpClient::raw(srv.addr);
    raw.send("USER alice");
    let mut got = Vec::new();
    use std::io::Read;
    let _ = raw.stream.read_to_end(&mut got);
    assert!(!String::from_utf8_lossy(&got).contains("220"), "{got:?}");
}

#[test]
fn lftp_ftps_mirror_both_ways() {
    if !tools(&["openssl", "lftp"]) {
        return;
    }
    let certs = TempDir::new("certs");
    let srv = tls_server(&certs, &[]);
    let local = TempDir::new("lftp-tls");
    let tree = local.0.join("tree");
    std::fs::create_dir_all(tree.join("sub dir")).unwrap();
    for i in 0..20 {
        std::fs::write(tree.join(format!("f{i}.bin")), pattern(10_000 * i + 1, i as u32)).unwrap();
    }
    std::fs::write(tree.join("sub dir/inner.txt"), "inner\n").unwrap();
    let back = local.0.join("back");
    let script = format!(
        "set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:verify-certificate no; \
         set net:max-retries 1; set net:timeout 20; mirror -R {} up; mirror up {}; \
         set ftp:passive-mode false; mirror -R {} up2; bye",
        tree.display(),
        back.display(),
        tree.display()
    );
    run(Command::new("lftp").args([
        "-u",
        "alice,secret",
        "-p",
        &srv.addr.port().to_string(),
        "-e",
        &script,
        "127.0.0.1",
    ]));
    for dir in [srv.path("home/alice/up"), back, srv.path("home/alice/up2")] {
        let out = run(Command::new("diff").arg("-r").arg(&tree).arg(&dir));
        assert!(out.is_empty(), "{out}");
    }
}

/// Python's ftplib never resumes TLS sessions on data connections: with
/// require_ssl_reuse=NO it works; with the default it gets a 522 that names
/// the key.
#[test]
fn python_ftp_tls_prot_p() {
    if !tools(&["openssl", "python3"]) {
        return;
    }
    let script = r#"
import ftplib, io, ssl, sys
port, expect_reuse_refusal = int(sys.argv[1]), sys.argv[2] == "refuse"
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
f = ftplib.FTP_TLS(context=ctx)
f.connect("127.0.0.1", port, timeout=20)
f.login("alice", "secret")
try:
    f.sendcmd("PROT P")
    raise SystemExit("PROT before PBSZ must fail")
except ftplib.error_perm as e:
    assert str(e).startswith("503"), e
f.prot_p()
if expect_reuse_refusal:
    conn = f.transfercmd("NLST")
    try:
        conn.recv(100)
    except OSError:
        pass
    conn.close()
    try:
        f.voidresp()
        raise SystemExit("expected 522")
    except ftplib.error_perm as e:
        assert str(e).startswith("522") and "require_ssl_reuse" in str(e), e
    assert f.voidcmd("NOOP").startswith("200")
else:
    data = bytes(range(256)) * 3000
    f.storbinary("STOR tls.bin", io.BytesIO(data))
    out = io.BytesIO()
    f.retrbinary("RETR tls.bin", out.write)
    assert out.getvalue() == data
    assert "tls.bin" in f.nlst()
    assert f.sendcmd("PROT C").startswith("200")
f.quit()
print("ok")
"#;
    let certs = TempDir::new("certs");
    for (reuse, mode) in [("NO", "work"), ("YES", "refuse")] {
        let srv = tls_server(&certs, &[("require_ssl_reuse", reuse)]);
        let out = run(Command::new("python3").args(["-c", script, &srv.addr.port().to_string(), mode]));
        assert_eq!(out.trim(), "ok", "require_ssl_reuse={reuse}");
    }
}

/// A data connection must resume *this* control connection's TLS session: a
/// client that offers the session of another control connection is refused,
/// and one that offers its own is served (TLS 1.3 tickets and TLS 1.2 ids).
#[test]
fn data_connection_must_resume_its_own_control_session() {
    if !tools(&["openssl", "python3"]) {
        return;
    }
    let script = r#"
import socket, ssl, sys
port, version = int(sys.argv[1]), sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ctx.minimum_version = getattr(ssl.TLSVersion, version)

class Control:
    def __init__(self):
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.f = s.makefile("rb")
        assert self.reply().startswith("220")
        s.sendall(b"AUTH TLS\r\n")
        assert self.reply().startswith("234")
        self.s = ctx.wrap_socket(s)
        self.f = self.s.makefile("rb")
        for cmd, code in [("USER alice", "331"), ("PASS secret", "230"), ("PBSZ 0", "200"), ("PROT P", "200")]:
            assert self.cmd(cmd).startswith(code), cmd
    def reply(self):
        line = self.f.readline().decode()
        while line[3:4] == "-":
            line = self.f.readline().decode()
        return line
    def cmd(self, line):
        self.s.sendall(line.encode() + b"\r\n")
        return self.reply()
    def nlst(self, session):
        r = self.cmd("EPSV")
        data_port = int(r.split("|||")[1].split("|")[0])
        d = socket.create_connection(("127.0.0.1", data_port), timeout=20)
        assert self.cmd("NLST").startswith("150")
        body = b""
        try:
            d = ctx.wrap_socket(d, session=session)
            while chunk := d.recv(4096):
                body += chunk
        except OSError:
            pass
        d.close()
        return body, self.reply()

a, b = Control(), Control()
a.cmd("NOOP"); b.cmd("NOOP")  # TLS 1.3 tickets arrive after the handshake
assert a.s.session is not None and b.s.session is not None
body, final = a.nlst(b.s.session)
assert final.startswith("522") and "require_ssl_reuse" in final, final
body, final = a.nlst(a.s.session)
assert final.startswith("226"), final
assert b"mine.txt" in body, body
print("ok")
"#;
    let certs = TempDir::new("certs");
    let srv = tls_server(&certs, &[]);
    std::fs::write(srv.path("home/alice/mine.txt"), "x").unwrap();
    for version in ["TLSv1_3", "TLSv1_2"] {
        let out = run(Command::new("python3").args(["-c", script, &srv.addr.port().to_string(), version]));
        assert_eq!(out.trim(), "ok", "{version}");
    }
}

#[test]
fn openssl_s_client_starttls_ftp() {
    if !have("openssl") {
        return;
    }
    let certs = TempDir::new("certs");
    let srv = tls_server(&certs, &[]);
    let mut child = Command::new("openssl")
        .args(["s_client", "-starttls", "ftp", "-quiet", "-crlf", "-connect", &srv.addr.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::{Read, Write};
    child.stdin.take().unwrap().write_all(b"USER alice\nPASS secret\nPWD\nQUIT\n").unwrap();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let _ = child.wait();
    assert!(out.contains("230 Login successful."), "{out}");
    assert!(out.contains("257 \"/\" is the current directory"), "{out}");
    assert!(out.contains("221 Goodbye."), "{out}");
}

/// Runs `openssl s_client -starttls ftp` with extra flags, logs in as alice
/// and returns what the server said (empty when the handshake failed).
fn s_client_login(srv: &TestServer, flags: &[&str]) -> String {
    let mut child = Command::new("openssl")
        .args(["s_client", "-starttls", "ftp", "-quiet", "-crlf", "-connect", &srv.addr.to_string()])
        .args(flags)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::{Read, Write};
    let _ = child.stdin.take().unwrap().write_all(b"USER alice\nPASS secret\nQUIT\n");
    let mut out = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut out);
    let _ = child.wait();
    out
}

/// ssl_tlsv1_2 and ssl_tlsv1_3 choose the TLS versions offered.
#[test]
fn ssl_tlsv1_2_and_ssl_tlsv1_3_choose_the_versions() {
    if !have("openssl") {
        return;
    }
    let certs = TempDir::new("certs");
    let only12 = tls_server(&certs, &[("ssl_tlsv1_3", "NO")]);
    assert!(s_client_login(&only12, &["-tls1_2"]).contains("230 Login successful."));
    assert!(!s_client_login(&only12, &["-tls1_3"]).contains("230"), "TLS 1.3 is off");
    let only13 = tls_server(&certs, &[("ssl_tlsv1_2", "NO")]);
    assert!(s_client_login(&only13, &["-tls1_3"]).contains("230 Login successful."));
    assert!(!s_client_login(&only13, &["-tls1_2"]).contains("230"), "TLS 1.2 is off");
    only13.wait_log("TLS TLSv1_3");
}

/// force_local_data_ssl (YES by default): a virtual user's transfer without
/// PROT P gets 522; with NO the same transfer goes through in the clear.
#[test]
fn force_local_data_ssl_requires_prot_p() {
    if !tools(&["openssl", "python3"]) {
        return;
    }
    let script = r#"
import ftplib, io, ssl, sys
port, forced = int(sys.argv[1]), sys.argv[2] == "YES"
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
f = ftplib.FTP_TLS(context=ctx)
f.connect("127.0.0.1", port, timeout=20)
f.login("alice", "secret")
out = io.BytesIO()
try:
    f.retrbinary("RETR f", out.write)
    assert not forced, "a clear data connection was allowed"
    assert out.getvalue() == b"clear", out.getvalue()
except ftplib.error_perm as e:
    assert forced and str(e).startswith("522"), e
f.quit()
print("ok")
"#;
    let certs = TempDir::new("certs");
    for forced in ["YES", "NO"] {
        let srv = tls_server(&certs, &[("force_local_data_ssl", forced), ("require_ssl_reuse", "NO")]);
        std::fs::write(srv.path("home/alice/f"), "clear").unwrap();
        let out = run(Command::new("python3").args(["-c", script, &srv.addr.port().to_string(), forced]));
        assert_eq!(out.trim(), "ok", "force_local_data_ssl={forced}");
    }
}

/// A client that spends each TLS 1.3 ticket once (rustls clients do, so
/// that no two connections can be linked by their ticket) resumes every
/// data connection of a long session under require_ssl_reuse: the control
/// handshake issues eight tickets, each download brings two more, and
/// uploads issue none. Seven uploads in a row, then uploads, downloads and
/// listings taking turns: 20 transfers, every one resumed and complete.
#[test]
fn a_client_that_spends_each_ticket_once_resumes_every_transfer() {
    if !have("openssl") {
        return;
    }
    let certs = TempDir::new("certs");
    let srv = tls_server(&certs, &[("require_ssl_reuse", "YES")]);
    let config = rustls_client::config();
    let mut c = rustls_client::Control::login(srv.addr, &config);
    let body = |i: usize| (0..65_536 + i).map(|b| (b * 7 + i) as u8).collect::<Vec<u8>>();
    let mut stored = Vec::new();
    for i in 0..20 {
        let (what, resumed) = match i {
            0..7 => ("STOR", c.stor(&format!("t{i}.bin"), &body(i))),
            _ if (i - 7) % 2 == 1 => ("STOR", c.stor(&format!("t{i}.bin"), &body(i))),
            _ if (i - 7) % 4 == 0 => {
                let j = stored[(i - 7) / 4];
                let (got, resumed) = c.retr(&format!("t{j}.bin"));
                assert!(got == body(j), "transfer {i}: RETR t{j}.bin came back different");
                ("RETR", resumed)
            }
            _ => {
                let (got, resumed) = c.retr_cmd("LIST");
                assert!(String::from_utf8_lossy(&got).contains("t0.bin"), "transfer {i}: LIST without t0.bin");
                ("LIST", resumed)
            }
        };
        assert!(resumed, "transfer {i} ({what}) did not resume the control connection's TLS session");
        if what == "STOR" {
            stored.push(i);
        }
    }
    for i in stored {
        assert_eq!(std::fs::read(srv.dir.0.join("home/alice").join(format!("t{i}.bin"))).unwrap(), body(i), "t{i}.bin");
    }
}

/// A rustls FTPS client (explicit AUTH TLS, PROT P, EPSV) that keeps its
/// tickets in rustls' default in-memory store and accepts any certificate.
mod rustls_client {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, HandshakeKind, SignatureScheme, StreamOwned};
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::sync::Arc;
    use std::time::Duration;

    #[derive(Debug)]
    struct AnyCertificate(Arc<CryptoProvider>);

    impl ServerCertVerifier for AnyCertificate {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    pub fn config() -> Arc<ClientConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth();
        Arc::new(config)
    }

    type Tls = StreamOwned<ClientConnection, TcpStream>;

    pub struct Control {
        tls: BufReader<Tls>,
        config: Arc<ClientConfig>,
        addr: SocketAddr,
    }

    fn connect(addr: SocketAddr) -> TcpStream {
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        tcp
    }

    fn wrap(tcp: TcpStream, config: &Arc<ClientConfig>) -> Tls {
        let name = ServerName::try_from("localhost").unwrap();
        StreamOwned::new(ClientConnection::new(config.clone(), name).unwrap(), tcp)
    }

    /// Reads one reply (the last line of a multi-line one).
    fn reply(r: &mut impl BufRead) -> String {
        loop {
            let mut line = String::new();
            assert!(r.read_line(&mut line).unwrap() > 0, "control connection closed");
            if line.as_bytes().get(3) == Some(&b' ') {
                return line.trim_end().to_string();
            }
        }
    }

    impl Control {
        /// Logs in as alice over AUTH TLS and sets PBSZ 0, PROT P, TYPE I.
        pub fn login(addr: SocketAddr, config: &Arc<ClientConfig>) -> Control {
            let mut plain = BufReader::new(connect(addr));
            assert!(reply(&mut plain).starts_with("220"));
            plain.get_mut().write_all(b"AUTH TLS\r\n").unwrap();
            assert!(reply(&mut plain).starts_with("234"));
            let mut c = Control { tls: BufReader::new(wrap(plain.into_inner(), config)), config: config.clone(), addr };
            let commands = [
                ("USER alice", "331"),
                ("PASS secret", "230"),
                ("PBSZ 0", "200"),
                ("PROT P", "200"),
                ("TYPE I", "200"),
            ];
            for (cmd, code) in commands {
                let r = c.cmd(cmd);
                assert!(r.starts_with(code), "{cmd}: {r}");
            }
            c
        }

        pub fn cmd(&mut self, line: &str) -> String {
            self.tls.get_mut().write_all(format!("{line}\r\n").as_bytes()).unwrap();
            reply(&mut self.tls)
        }

        /// EPSV, connect, send `command`, expect 150, then TLS on the data connection.
        fn data(&mut self, command: &str) -> Tls {
            let r = self.cmd("EPSV");
            let port: u16 = r.split("|||").nth(1).and_then(|p| p.trim_end_matches([')', '|']).parse().ok()).unwrap();
            let tcp = connect(SocketAddr::new(self.addr.ip(), port));
            let r = self.cmd(command);
            assert!(r.starts_with("150"), "{command}: {r}");
            wrap(tcp, &self.config)
        }

        fn done(&mut self, command: &str) {
            let r = reply(&mut self.tls);
            assert!(r.starts_with("226"), "{command}: {r}");
        }

        /// Uploads `body` as `name`; whether the data connection resumed.
        pub fn stor(&mut self, name: &str, body: &[u8]) -> bool {
            let command = format!("STOR {name}");
            let mut d = self.data(&command);
            if let Err(e) = d.write_all(body) {
                panic!("{command}: {e}; the server said {}", reply(&mut self.tls));
            }
            d.conn.send_close_notify();
            d.flush().unwrap();
            let resumed = d.conn.handshake_kind() == Some(HandshakeKind::Resumed);
            drop(d);
            self.done(&command);
            resumed
        }

        /// Downloads what `command` sends; the bytes and whether it resumed.
        pub fn retr_cmd(&mut self, command: &str) -> (Vec<u8>, bool) {
            let mut d = self.data(command);
            let mut got = Vec::new();
            if let Err(e) = d.read_to_end(&mut got) {
                panic!("{command}: {e}; the server said {}", reply(&mut self.tls));
            }
            let resumed = d.conn.handshake_kind() == Some(HandshakeKind::Resumed);
            drop(d);
            self.done(command);
            (got, resumed)
        }

        pub fn retr(&mut self, name: &str) -> (Vec<u8>, bool) {
            self.retr_cmd(&format!("RETR {name}"))
        }
    }
}
