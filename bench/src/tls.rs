//! The FTPS client of the load generator (RFC 4217 with rustls): AUTH TLS,
//! PBSZ 0, PROT P, data connections that resume the control connection's
//! session from rustls' ticket store, as rustls clients do. It accepts any
//! certificate: the servers use a self-signed one made for the run.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, OnceLock};
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

/// The TLS version of this run's client (`RFTPD_BENCH_TLS=1.2` for TLS 1.2
/// with AES-256-GCM; TLS 1.3 otherwise).
pub fn version() -> &'static str {
    if std::env::var("RFTPD_BENCH_TLS").as_deref() == Ok("1.2") { "TLS 1.2" } else { "TLS 1.3" }
}

fn config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut provider = rustls::crypto::ring::default_provider();
            let versions: &[&rustls::SupportedProtocolVersion] = if version() == "TLS 1.2" {
                provider.cipher_suites.retain(|s| {
                    s.suite() == rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
                        || s.suite() == rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
                });
                &[&rustls::version::TLS12]
            } else {
                &[&rustls::version::TLS13]
            };
            let provider = Arc::new(provider);
            let config = ClientConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(versions)
                .unwrap()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// A self-signed certificate and its key in one PEM file: RSA-2048, the
/// kind most FTPS servers are deployed with, or ECDSA P-256 under
/// `RFTPD_BENCH_CERT=ec` (to see what the handshake's signature costs).
pub fn certificate(dir: &Path) -> std::path::PathBuf {
    let (pem, key) = (dir.join("bench.pem"), dir.join("bench.key"));
    let kind: &[&str] = if std::env::var("RFTPD_BENCH_CERT").as_deref() == Ok("ec") {
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    } else {
        &["-newkey", "rsa:2048"]
    };
    let ok = Command::new("openssl")
        .args(["req", "-x509"])
        .args(kind)
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&pem)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl");
    assert!(ok.success(), "openssl req failed");
    let both = std::fs::read_to_string(&pem).unwrap() + &std::fs::read_to_string(&key).unwrap();
    std::fs::write(&pem, both).unwrap();
    std::fs::set_permissions(&pem, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    pem
}

type Tls = StreamOwned<ClientConnection, TcpStream>;

/// A session's own client config: its own ticket store, so that parallel
/// sessions never offer each other's tickets (rftpd binds a data connection
/// to its own control connection's TLS session and refuses any other).
fn session_config() -> Arc<ClientConfig> {
    let mut c = (*config()).clone();
    c.resumption = rustls::client::Resumption::in_memory_sessions(16);
    Arc::new(c)
}

fn wrap(tcp: TcpStream, config: &Arc<ClientConfig>) -> std::io::Result<Tls> {
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = StreamOwned::new(ClientConnection::new(config.clone(), name).map_err(std::io::Error::other)?, tcp);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(tls)
}

/// An anonymous FTPS session with PROT P and TYPE I.
pub struct Ftps {
    control: BufReader<Tls>,
    config: Arc<ClientConfig>,
    peer: SocketAddr,
}

fn reply(r: &mut impl BufRead) -> std::io::Result<(u16, String)> {
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line.as_bytes().get(3) == Some(&b' ') {
            return Ok((line[..3].parse().unwrap_or(0), line.trim_end().to_string()));
        }
    }
}

fn expect_on(r: &mut BufReader<impl Read + Write>, line: &str, codes: &[u16]) -> std::io::Result<(u16, String)> {
    r.get_mut().write_all(format!("{line}\r\n").as_bytes())?;
    let (code, text) = reply(r)?;
    if !codes.contains(&code) {
        return Err(std::io::Error::other(format!("{line}: {text}")));
    }
    Ok((code, text))
}

impl Ftps {
    pub fn login(addr: SocketAddr) -> std::io::Result<Ftps> {
        let tcp = TcpStream::connect(addr)?;
        tcp.set_nodelay(true)?;
        tcp.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut plain = BufReader::new(tcp);
        let (code, text) = reply(&mut plain)?;
        if code != 220 {
            return Err(std::io::Error::other(text));
        }
        expect_on(&mut plain, "AUTH TLS", &[234])?;
        let config = session_config();
        let control = BufReader::new(wrap(plain.into_inner(), &config)?);
        let mut ftps = Ftps { control, config, peer: addr };
        if ftps.expect("USER anonymous", &[230, 331])?.0 == 331 {
            ftps.expect("PASS bench@", &[230])?;
        }
        for (cmd, code) in [("PBSZ 0", 200), ("PROT P", 200), ("TYPE I", 200)] {
            ftps.expect(cmd, &[code])?;
        }
        Ok(ftps)
    }

    pub fn expect(&mut self, line: &str, codes: &[u16]) -> std::io::Result<(u16, String)> {
        expect_on(&mut self.control, line, codes)
    }

    pub fn quit(mut self) -> std::io::Result<()> {
        self.expect("QUIT", &[221]).map(|_| ())
    }

    fn data(&mut self, command: &str) -> std::io::Result<Tls> {
        let port = crate::client::epsv_port(&self.expect("EPSV", &[229])?.1)?;
        let tcp = TcpStream::connect((self.peer.ip(), port))?;
        self.expect(command, &[150, 125])?;
        wrap(tcp, &self.config)
    }

    fn done(&mut self, command: &str) -> std::io::Result<()> {
        match reply(&mut self.control)? {
            (226, _) => Ok(()),
            (_, text) => Err(std::io::Error::other(format!("{command}: {text}"))),
        }
    }

    /// RETR and the like: the bytes received (decrypted, then dropped).
    pub fn download(&mut self, command: &str, buf: &mut [u8]) -> std::io::Result<u64> {
        let mut data = self.data(command)?;
        let mut total = 0u64;
        loop {
            match data.read(buf) {
                Ok(0) => break,
                Ok(n) => total += n as u64,
                // A server that closes without close_notify: the end all the same.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(e),
            }
        }
        drop(data);
        self.done(command)?;
        Ok(total)
    }

    /// STOR of `len` bytes written from `chunk` over and over, then close_notify.
    pub fn upload(&mut self, command: &str, len: u64, chunk: &[u8]) -> std::io::Result<()> {
        let mut data = self.data(command)?;
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            data.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        data.conn.send_close_notify();
        data.flush()?;
        data.sock.shutdown(std::net::Shutdown::Write)?;
        // Read what the server sent (session tickets, its close_notify) to
        // the end: closing with it unread would reset the connection, and
        // the server could lose the upload's last bytes.
        let mut sink = [0u8; 4096];
        while matches!(data.read(&mut sink), Ok(n) if n > 0) {}
        drop(data);
        self.done(command)
    }
}
