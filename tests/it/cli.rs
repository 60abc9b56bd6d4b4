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
