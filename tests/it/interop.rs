//! Clients nobody here wrote: curl, lftp, wget, tnftp, Python's ftplib and
//! the suppaftp crate. `.ci/run` installs them; see `support::have`.

use crate::support::*;
use std::process::Command;

fn url(srv: &TestServer, user: &str, path: &str) -> String {
    let host = match srv.addr.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let auth = if user.is_empty() { String::new() } else { format!("{user}@") };
    format!("ftp://{auth}{host}:{}/{path}", srv.addr.port())
}

fn curl(args: &[&str]) -> String {
    run(Command::new("curl").args(["-sS", "--fail", "--max-time", "60", "-g"]).args(args))
}

#[test]
fn curl_download_upload_list_resume_both_modes() {
    if !have("curl") {
        return;
    }
    let srv = TestServer::start(&[]);
    let local = TempDir::new("curl");
    let content = pattern(2 << 20, 11);
    let src = local.0.join("src.bin");
    std::fs::write(&src, &content).unwrap();
    assert_eq!(curl(&[&url(&srv, "", "readme.txt")]), "hello from anon\n");
    let modes = [
        &["--ftp-pasv"][..],
        &["--disable-epsv"],
        &["--ftp-port", "127.0.0.1"],
        &["--ftp-port", "127.0.0.1", "--disable-eprt"],
    ];
    for (i, mode) in modes.iter().enumerate() {
        let name = format!("up{i}.bin");
        let mut args: Vec<&str> = mode.to_vec();
        let dest = url(&srv, "alice:secret", &name);
        args.extend(["-T", src.to_str().unwrap(), &dest]);
        curl(&args);
        assert_eq!(std::fs::read(srv.path(&format!("home/alice/{name}"))).unwrap(), content, "{mode:?}");
        let out = local.0.join("down.bin");
        let mut args: Vec<&str> = mode.to_vec();
        args.extend(["-o", out.to_str().unwrap(), &dest]);
        curl(&args);
        assert_eq!(std::fs::read(&out).unwrap(), content, "{mode:?}");
    }
    let listing = curl(&[&url(&srv, "alice:secret", "")]);
    assert!(listing.lines().any(|l| l.starts_with("-rw-r--r--") && l.ends_with(" up3.bin")), "{listing}");
    let names = curl(&["--list-only", &url(&srv, "alice:secret", "")]);
    assert!(names.lines().any(|l| l == "up3.bin"), "{names}");
    // Resume a download (REST) and an upload (SIZE + APPE/REST).
    let part = local.0.join("part.bin");
    std::fs::write(&part, &content[..700_000]).unwrap();
    curl(&["-C", "-", "-o", part.to_str().unwrap(), &url(&srv, "alice:secret", "up3.bin")]);
    assert_eq!(std::fs::read(&part).unwrap(), content);
    std::fs::write(srv.path("home/alice/resume.bin"), &content[..1_000_000]).unwrap();
    curl(&["-C", "-", "-T", src.to_str().unwrap(), &url(&srv, "alice:secret", "resume.bin")]);
    assert_eq!(std::fs::read(srv.path("home/alice/resume.bin")).unwrap(), content);
}

#[test]
fn curl_over_ipv6() {
    if !have("curl") || !ipv6_loopback() {
        return;
    }
    let srv = TestServer::start_on("::1", &[]);
    let local = TempDir::new("curl6");
    let content = pattern(300_000, 12);
    let src = local.0.join("src.bin");
    std::fs::write(&src, &content).unwrap();
    for mode in [&["--ftp-pasv"][..], &["--ftp-port", "::1"]] {
        let dest = url(&srv, "alice:secret", "v6.bin");
        let mut args: Vec<&str> = mode.to_vec();
        args.extend(["-T", src.to_str().unwrap(), &dest]);
        curl(&args);
        let mut args: Vec<&str> = mode.to_vec();
        args.push(&dest);
        let out = Command::new("curl").args(["-sS", "--fail", "--max-time", "60", "-g"]).args(&args).output().unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, content, "{mode:?}");
    }
}

/// A tree of 200 files in nested directories, with names that need care.
fn make_tree(root: &std::path::Path) {
    for i in 0..200 {
        let dir = root.join(format!("d{}/sub {}", i % 5, i % 3));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("file {i}.bin")), pattern(i * 997 % 50_000, i as u32)).unwrap();
    }
}

fn assert_same_tree(a: &std::path::Path, b: &std::path::Path) {
    let out = Command::new("diff").arg("-r").arg(a).arg(b).output().unwrap();
    assert!(out.status.success(), "trees differ:\n{}", String::from_utf8_lossy(&out.stdout));
    let count = Command::new("sh").arg("-c").arg(format!("find '{}' -type f | wc -l", b.display())).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "200");
}

fn ipv6_loopback() -> bool {
    let ok = std::net::TcpListener::bind("[::1]:0").is_ok();
    if !ok {
        assert!(std::env::var("CI").is_err(), "CI must have IPv6 loopback");
        eprintln!("SKIPPED: no IPv6 loopback");
    }
    ok
}

#[test]
fn lftp_mirror_both_ways_passive_and_active() {
    if !have("lftp") {
        return;
    }
    lftp_mirror("127.0.0.1");
}

#[test]
fn lftp_mirror_over_ipv6() {
    if !have("lftp") || !ipv6_loopback() {
        return;
    }
    lftp_mirror("::1");
}

fn lftp_mirror(ip: &str) {
    let srv = TestServer::start_on(ip, &[]);
    let local = TempDir::new("lftp");
    let tree = local.0.join("tree");
    make_tree(&tree);
    for (i, passive) in ["on", "off"].iter().enumerate() {
        let back = local.0.join(format!("back{i}"));
        let script = format!(
            "set net:max-retries 1; set net:timeout 20; set ftp:passive-mode {passive}; set ftp:ssl-allow no; \
             mirror -R '{}' up{i}; mirror up{i} '{}'; quit",
            tree.display(),
            back.display()
        );
        run(Command::new("lftp").args(["-u", "alice,secret", "-p", &srv.addr.port().to_string(), "-e", &script, ip]));
        assert_same_tree(&tree, &srv.path(&format!("home/alice/up{i}")));
        assert_same_tree(&tree, &back);
    }
}

#[test]
fn python_ftplib() {
    if have("python3") {
        ftplib("127.0.0.1");
    }
}

#[test]
fn python_ftplib_over_ipv6() {
    if have("python3") && ipv6_loopback() {
        ftplib("::1");
    }
}

fn ftplib(ip: &str) {
    let srv = TestServer::start_on(ip, &[]);
    std::fs::write(srv.path("home/alice/text.txt"), "a\nb\n").unwrap();
    let script = r#"
import ftplib, io, sys
port, host = int(sys.argv[1]), sys.argv[2]
for passive in (True, False):
    f = ftplib.FTP()
    f.connect(host, port, timeout=20)
    f.login("alice", "secret")
    f.set_pasv(passive)
    data = bytes(range(256)) * 4000
    f.storbinary("STOR py.bin", io.BytesIO(data))
    out = io.BytesIO()
    f.retrbinary("RETR py.bin", out.write)
    assert out.getvalue() == data, "binary round trip"
    lines = []
    f.retrlines("RETR text.txt", lines.append)
    assert lines == ["a", "b"], lines
    f.voidcmd("TYPE I")  # RFC 3659 §4: SIZE counts what the current TYPE would send
    assert f.size("py.bin") == len(data)
    assert "py.bin" in f.nlst()
    facts = dict(f.mlsd())
    assert facts["py.bin"]["type"] == "file" and facts["py.bin"]["size"] == str(len(data)), facts
    f.rename("py.bin", "py2.bin")
    f.mkd("made")
    f.cwd("made")
    assert f.pwd() == "/made"
    f.cwd("..")
    f.rmd("made")
    f.delete("py2.bin")
    try:
        f.retrbinary("RETR nothing", out.write)
        raise SystemExit("expected 550")
    except ftplib.error_perm as e:
        assert str(e).startswith("550"), e
    f.quit()
print("ok")
"#;
    let out = run(Command::new("python3").args(["-c", script, &srv.addr.port().to_string(), ip]));
    assert_eq!(out.trim(), "ok");
}

#[test]
fn wget_and_tnftp_download() {
    let srv = TestServer::start(&[]);
    if have("wget") {
        let out =
            run(Command::new("wget").args(["-q", "-T", "20", "-t", "1", "-O", "-", &url(&srv, "", "readme.txt")]));
        assert_eq!(out, "hello from anon\n");
    }
    if have("tnftp") {
        let local = TempDir::new("tnftp");
        let dest = local.0.join("got.txt");
        run(Command::new("tnftp").args([
            "-q",
            "20",
            "-o",
            dest.to_str().unwrap(),
            &url(&srv, "anonymous", "readme.txt"),
        ]));
        assert_eq!(std::fs::read(&dest).unwrap(), b"hello from anon\n");
    }
}

#[test]
fn suppaftp_client_crate() {
    use suppaftp::types::FileType;
    use suppaftp::{FtpStream, Mode};
    let srv = TestServer::start(&[]);
    for mode in [Mode::Passive, Mode::ExtendedPassive] {
        let mut ftp = FtpStream::connect(srv.addr).unwrap();
        ftp.set_mode(mode);
        ftp.login("alice", "secret").unwrap();
        ftp.transfer_type(FileType::Binary).unwrap();
        let content = pattern(123_456, 13);
        ftp.put_file("crate.bin", &mut &content[..]).unwrap();
        assert_eq!(ftp.retr_as_buffer("crate.bin").unwrap().into_inner(), content);
        assert_eq!(ftp.size("crate.bin").unwrap(), content.len());
        ftp.mkdir("dir").unwrap();
        assert_eq!(ftp.pwd().unwrap(), "/");
        assert!(ftp.nlst(None).unwrap().contains(&"crate.bin".to_string()));
        let list = ftp.list(None).unwrap();
        assert!(
            list.iter().any(|l| l
                .parse::<suppaftp::list::File>()
                .is_ok_and(|f| f.name() == "crate.bin" && f.size() == content.len())),
            "{list:?}"
        );
        ftp.rmdir("dir").unwrap();
        ftp.rm("crate.bin").unwrap();
        ftp.quit().unwrap();
    }
}
