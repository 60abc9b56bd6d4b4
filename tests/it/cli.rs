//! The command line: --check-config errors, -V, passwd, signals, port 20.

use crate::support::*;
use std::io::{Read, Write};
use std::process::{Command, Stdio};

fn rftpd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rftpd")).args(args).stdin(Stdio::null()).output().unwrap()
}

#[test]
fn check_config_names_file_line_and_key() {
    let dir = TempDir::new("conf");
    let conf = dir.0.join("rftpd.conf");
    std::fs::write(&conf, "# comment\nlisten_port=2121\npasv_min_port=70000\n").unwrap();
    let out = rftpd(&["-c", conf.to_str().unwrap(), "--check-config"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:3: pasv_min_port: 70000 is out of range (0..=65535)", conf.display())), "{err}");
    std::fs::write(&conf, "listen_port=2121\nanonymous_enable=NO\nuser_file=\n").unwrap();
    let out = rftpd(&["-c", conf.to_str().unwrap(), "--check-config"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = rftpd(&["-c", "/dev/null", "-o", "bogus_key=1", "--check-config"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-o: bogus_key: unknown key"));
    // A bad users file is named with its line.
    let users = dir.0.join("users");
    std::fs::write(&users, "ok:$6$a$b:/srv:rw\nbroken\n").unwrap();
    let out = rftpd(&["-c", "/dev/null", "-o", &format!("user_file={}", users.display()), "--check-config"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("{}:2:", users.display())));
    // The shipped sample is a valid config as it stands.
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/etc/rftpd.conf");
    let out = rftpd(&["-c", sample, "-o", "user_file=", "--check-config"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn version_and_usage() {
    let out = rftpd(&["-V"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("rftpd "));
    let out = rftpd(&["--nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unrecognized option"));
}

#[test]
fn passwd_adds_a_user_that_can_log_in() {
    let srv = TestServer::start(&[]);
    let users = srv.path("users");
    let carol_home = srv.path("home/carol");
    std::fs::create_dir_all(&carol_home).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rftpd"))
        .args(["passwd", "-f", users.to_str().unwrap(), "-d", carol_home.to_str().unwrap(), "-p", "rw", "carol"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"carol's pw\n").unwrap();
    assert!(child.wait().unwrap().success());
    let text = std::fs::read_to_string(&users).unwrap();
    assert!(text.starts_with("# test users\nalice:"), "other lines kept: {text}");
    assert!(text.contains("carol:$6$"));
    // The server re-reads the changed file at the next login.
    let mut c = srv.login("carol", "carol's pw");
    assert_eq!(c.cmd("MKD made").code, 257);
    assert!(carol_home.join("made").is_dir());
}

#[test]
fn sigterm_stops_the_server() {
    let mut srv = TestServer::start(&[]);
    let pid = srv.pid();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::SIGTERM).unwrap();
    srv.wait_log("shutting down");
    let status = srv.wait_exit();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn active_mode_from_port_20_when_allowed() {
    let srv = TestServer::start(&[("connect_from_port_20", "YES")]);
    std::fs::write(srv.path("home/alice/f"), "data").unwrap();
    let mut c = srv.alice();
    let l = active_listener("127.0.0.1");
    let port = l.local_addr().unwrap().port();
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).code, 200);
    assert_eq!(c.cmd("RETR f").code, 150);
    let mut data = accept(&l);
    let from = data.peer_addr().unwrap().port();
    let mut buf = Vec::new();
    data.read_to_end(&mut buf).unwrap();
    assert_eq!(buf, b"data");
    assert_eq!(c.reply().code, 226);
    if nix::unistd::geteuid().is_root() {
        assert_eq!(from, 20, "root may bind port 20");
    } else {
        assert_ne!(from, 20, "without the privilege rftpd falls back to any port");
    }
}

/// --check-config reports every problem a config would hit at run time,
/// each as FILE:LINE: KEY: message, then exits 2.
#[test]
fn check_config_reports_every_error_with_file_line_and_key() {
    let dir = TempDir::new("checkall");
    let users = dir.0.join("users");
    std::fs::write(
        &users,
        format!(
            "good:{SECRET_HASH}:{}:rw\nbad:notahash:{}:rw\nlost:{SECRET_HASH}:/no/such/home:ro\n",
            dir.0.display(),
            dir.0.display()
        ),
    )
    .unwrap();
    let conf = dir.0.join("rftpd.conf");
    let text = format!(
        "listen_port=99999\nbogus_key=1\nuser_file={}\nxferlog_enable=YES\nxferlog_file=/nonexistent/dir/xferlog\n\
         ssl_enable=YES\nrsa_cert_file=/nonexistent/cert.pem\nlog_level=loud\nanonymous_enable=YES\nanon_root={}\n\
         ftp_username=rftpdnosuchaccount\nguest_username=\n",
        users.display(),
        dir.0.display()
    );
    std::fs::write(&conf, text).unwrap();
    let out = rftpd(&["-c", conf.to_str().unwrap(), "--check-config"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let c = conf.display();
    let u = users.display();
    // Lines and values first, all of them; fix those and the rest shows.
    for e in [
        format!("{c}:1: listen_port: 99999 is out of range"),
        format!("{c}:2: bogus_key: unknown key"),
        format!("{c}:8: log_level: 'loud' is not one of"),
    ] {
        assert!(err.contains(e.as_str()), "{e}\n{err}");
    }
    assert!(err.contains("3 error(s) in the configuration"), "{err}");
    let fixed = std::fs::read_to_string(&conf).unwrap().replace("listen_port=99999\nbogus_key=1\n", "\n\n");
    std::fs::write(&conf, fixed.replace("log_level=loud", "log_level=info")).unwrap();
    let out = rftpd(&["-c", conf.to_str().unwrap(), "--check-config"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let mut expected = vec![
        format!("{u}:2: user bad: the password hash is not a crypt(3) hash"),
        format!("{u}:3: user lost: home /no/such/home is not a directory"),
        format!("{c}:5: xferlog_file: /nonexistent/dir/xferlog: directory /nonexistent/dir does not exist"),
        format!("{c}:7: rsa_cert_file: /nonexistent/cert.pem:"),
    ];
    if nix::unistd::Uid::effective().is_root() {
        expected.push(format!("{c}:11: ftp_username: no such account 'rftpdnosuchaccount'"));
    }
    for e in &expected {
        assert!(err.contains(e.as_str()), "{e}\n{err}");
    }
    assert!(err.contains(&format!("{} error(s) in the configuration", expected.len())), "{err}");
}

/// Started as root, an account sessions must run as that does not exist is
/// an error at start (as vsftpd's "cannot locate user"), not a 530 per login.
#[test]
fn a_missing_identity_account_stops_the_start() {
    if !root_or_skip() {
        return;
    }
    let dir = TempDir::new("noacct");
    let args = [
        "-c",
        "/dev/null",
        "-o",
        "anonymous_enable=YES",
        "-o",
        &format!("anon_root={}", dir.0.display()),
        "-o",
        "ftp_username=rftpdnosuchaccount",
        "-o",
        "listen_address=127.0.0.1",
        "-o",
        "listen_port=0",
        "-o",
        "log_file=",
    ];
    let out = rftpd(&args);
    assert_eq!(out.status.code(), Some(2), "it must not start");
    assert!(String::from_utf8_lossy(&out.stderr).contains("-o: ftp_username: no such account 'rftpdnosuchaccount'"));
    let mut check = args.to_vec();
    check.push("--check-config");
    assert_eq!(rftpd(&check).status.code(), Some(2));
}

#[test]
fn rtftpd_check_config_reports_every_error() {
    let dir = TempDir::new("tcheck");
    let conf = dir.0.join("rtftpd.conf");
    std::fs::write(&conf, "tftp_root=/no/such/root\nlog_file=/no/such/dir/rtftpd.log\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rtftpd"))
        .args(["-c", conf.to_str().unwrap(), "--check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let c = conf.display();
    assert!(err.contains(&format!("{c}:1: tftp_root: /no/such/root is not a directory")), "{err}");
    assert!(
        err.contains(&format!("{c}:2: log_file: /no/such/dir/rtftpd.log: directory /no/such/dir does not exist")),
        "{err}"
    );
}
