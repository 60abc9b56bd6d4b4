//! Operations: SIGHUP reload and log reopen, SIGTERM drain, socket
//! activation and inetd mode through systemd-socket-activate, sd_notify.

use crate::support::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

fn signal(srv: &TestServer, sig: Signal) {
    kill(Pid::from_raw(srv.pid() as i32), sig).unwrap();
}

#[test]
fn sighup_reloads_for_new_sessions_and_keeps_old_ones() {
    let srv = Spec { conf: Some("ftpd_banner=First banner.\nhide_ids=NO\n"), ..Spec::default() }.start();
    std::fs::write(srv.path("home/alice/f"), "x").unwrap();
    let mut old = srv.alice();
    std::fs::write(srv.path("rftpd.conf"), "ftpd_banner=Second banner.\nhide_ids=YES\n").unwrap();
    signal(&srv, Signal::SIGHUP);
    srv.wait_log("configuration reloaded");
    let mut fresh = FtpClient::raw(srv.addr);
    assert_eq!(fresh.reply().lines[0], "220 Second banner.");
    assert_eq!(fresh.cmd("USER alice").code, 331);
    assert_eq!(fresh.cmd("PASS secret").code, 230);
    assert!(fresh.listing("LIST f").contains(" ftp      ftp "), "new session uses hide_ids=YES");
    assert!(!old.listing("LIST f").contains(" ftp      ftp "), "running session keeps its config");
    // A broken config is refused and the one in force stays.
    std::fs::write(srv.path("rftpd.conf"), "ftpd_banner=Third.\nno_such_key=1\n").unwrap();
    signal(&srv, Signal::SIGHUP);
    let line = srv.wait_log("reload failed");
    assert!(line.contains("rftpd.conf:2: no_such_key: unknown key"), "{line}");
    srv.wait_log("user=alice LIST");
    let mut after = FtpClient::raw(srv.addr);
    assert_eq!(after.reply().lines[0], "220 Second banner.");
}

#[test]
fn sigusr1_and_sighup_reopen_logs_after_rotation() {
    let dir = TempDir::new("logs");
    let log = dir.0.join("rftpd.log");
    let xfer = dir.0.join("xferlog");
    let srv = TestServer::start(&[
        ("log_file", log.to_str().unwrap()),
        ("xferlog_enable", "YES"),
        ("xferlog_file", xfer.to_str().unwrap()),
    ]);
    let mut c = srv.alice();
    assert_eq!(c.upload("STOR one", b"1").code, 226);
    std::fs::rename(&log, dir.0.join("rftpd.log.1")).unwrap();
    std::fs::rename(&xfer, dir.0.join("xferlog.1")).unwrap();
    for sig in [Signal::SIGUSR1, Signal::SIGHUP] {
        signal(&srv, sig);
        let deadline = std::time::Instant::now() + TIMEOUT;
        while !std::fs::read_to_string(&log).unwrap_or_default().contains("log files reopened") {
            assert!(std::time::Instant::now() < deadline, "no new log file");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert_eq!(c.upload("STOR two", b"2").code, 226);
    let old = std::fs::read_to_string(dir.0.join("rftpd.log.1")).unwrap();
    assert!(old.contains("STOR /one") && !old.contains("STOR /two"), "{old}");
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !std::fs::read_to_string(&log).unwrap().contains("STOR /two") {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(std::fs::read_to_string(dir.0.join("xferlog.1")).unwrap().contains("/one "));
    assert!(std::fs::read_to_string(&xfer).unwrap().contains("/two "));
}

#[test]
fn sigterm_lets_a_running_transfer_finish_byte_exact() {
    let mut srv = TestServer::start(&[]);
    let content = pattern(32 << 20, 21);
    std::fs::write(srv.path("home/alice/big"), &content).unwrap();
    let mut idle = srv.alice();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    let mut data = c.epsv();
    assert_eq!(c.cmd("RETR big").code, 150);
    let mut got = vec![0u8; 1 << 20];
    data.read_exact(&mut got).unwrap();
    signal(&srv, Signal::SIGTERM);
    assert_eq!(idle.reply().lines[0], "421 Server shutting down.");
    let mut rest = Vec::new();
    data.read_to_end(&mut rest).unwrap();
    got.extend(rest);
    assert!(got == content, "transfer completed byte-exact during the drain");
    assert_eq!(c.reply().code, 226);
    assert_eq!(c.reply().lines[0], "421 Server shutting down.");
    assert_eq!(srv.wait_exit().code(), Some(0));
    assert!(FtpClient::try_connect(srv.addr).is_none(), "no longer listening");
}

#[test]
fn second_signal_exits_without_waiting() {
    let mut srv = TestServer::start(&[("shutdown_grace", "3600")]);
    std::fs::write(srv.path("home/alice/big"), pattern(32 << 20, 22)).unwrap();
    let mut c = srv.alice();
    let mut data = c.epsv();
    assert_eq!(c.cmd("RETR big").code, 150);
    let mut buf = [0u8; 4096];
    data.read_exact(&mut buf).unwrap();
    signal(&srv, Signal::SIGTERM);
    srv.wait_log("shutting down");
    signal(&srv, Signal::SIGTERM);
    srv.wait_log("second signal");
    assert_eq!(srv.wait_exit().code(), Some(0));
}

/// Waits (bounded) until a supervisor listens on `listen`, fetches `path` with
/// curl, then stops the supervisor.
fn fetch_when_listening(listen: &str, path: &str, supervisor: &mut std::process::Child) -> Vec<u8> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while std::net::TcpStream::connect(listen).is_err() {
        assert!(std::time::Instant::now() < deadline, "nothing listens on {listen}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = Command::new("curl")
        .args(["-sS", "--fail", "--max-time", "30", &format!("ftp://{listen}/{path}")])
        .output()
        .unwrap();
    let _ = supervisor.kill();
    let _ = supervisor.wait();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs rftpd under systemd-socket-activate and fetches a file with curl.
fn through_socket_activate(activate_args: &[&str], rftpd_args: &[&str]) {
    let root = TempDir::new("sa");
    std::fs::write(root.0.join("hello.txt"), "socket activated\n").unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new("systemd-socket-activate")
        .args(activate_args)
        .args(["-l", &listen, env!("CARGO_BIN_EXE_rftpd"), "-c", "/dev/null"])
        .args(rftpd_args)
        .args(["-o", "anonymous_enable=YES", "-o", &format!("anon_root={}", root.0.display()), "-o", "log_file="])
        // The tree is the test runner's: sessions use its account, not 'ftp' (a fresh host has none).
        .args(["-o", "ftp_username="])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let got = fetch_when_listening(&listen, "hello.txt", &mut child);
    assert_eq!(got, b"socket activated\n");
}

#[test]
fn systemd_socket_activation_listen_fds() {
    if have("systemd-socket-activate") && have("curl") {
        through_socket_activate(&[], &[]);
    }
}

#[test]
fn inetd_mode_one_session_on_stdin() {
    if have("systemd-socket-activate") && have("curl") {
        through_socket_activate(&["--inetd", "-a"], &["--inetd"]);
    }
}

#[test]
fn sd_notify_ready_reloading_stopping() {
    let dir = TempDir::new("notify");
    let path = dir.0.join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let env = [("NOTIFY_SOCKET", path.to_str().unwrap())];
    let mut srv = Spec { env: &env, ..Spec::default() }.start();
    let recv = || {
        let mut buf = [0u8; 256];
        let n = sock.recv(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    assert!(recv().starts_with("READY=1"));
    signal(&srv, Signal::SIGHUP);
    assert_eq!(recv(), "RELOADING=1");
    assert!(recv().starts_with("READY=1"));
    signal(&srv, Signal::SIGTERM);
    assert_eq!(recv(), "STOPPING=1");
    assert_eq!(srv.wait_exit().code(), Some(0));
}

#[test]
fn make_install_into_destdir_and_uninstall() {
    if !have("make") || !have("strip") {
        return;
    }
    let dest = TempDir::new("destdir");
    let root = env!("CARGO_MANIFEST_DIR");
    let make = |target: &str| {
        run(Command::new("make")
            .args(["-s", "-C", root, target, "PREFIX=/opt/rftpd"])
            .arg(format!("DESTDIR={}", dest.0.display()))
            .arg(format!("BINARY={}", env!("CARGO_BIN_EXE_rftpd"))))
    };
    make("install");
    let d = &dest.0;
    let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    for f in [
        "opt/rftpd/sbin/rftpd",
        "opt/rftpd/sbin/rtftpd",
        "etc/rftpd/rftpd.conf",
        "etc/rftpd/rtftpd.conf",
        "opt/rftpd/lib/systemd/system/rtftpd.service",
        "opt/rftpd/lib/systemd/system/rtftpd.socket",
        "opt/rftpd/share/man/man8/rtftpd.8",
        "etc/rftpd/rftpd.users",
        "etc/logrotate.d/rftpd",
        "etc/pam.d/rftpd",
        "etc/fail2ban/filter.d/rftpd.conf",
        "etc/fail2ban/jail.d/rftpd.conf",
        "opt/rftpd/lib/systemd/system/rftpd.service",
        "opt/rftpd/lib/systemd/system/rftpd.socket",
        "opt/rftpd/lib/systemd/system/rftpd-inetd.socket",
        "opt/rftpd/lib/systemd/system/rftpd-inetd@.service",
        "opt/rftpd/share/man/man8/rftpd.8",
        "opt/rftpd/share/man/man5/rftpd.conf.5",
        "opt/rftpd/share/man/man5/rftpd.users.5",
        "opt/rftpd/share/doc/rftpd/inetd.conf.example",
        "opt/rftpd/share/doc/rftpd/xinetd.d/rftpd",
    ] {
        assert!(d.join(f).is_file(), "{f} not installed");
    }
    assert!(d.join("srv/ftp").is_dir() && d.join("srv/tftp").is_dir());
    // Every installed file that names a program names it under PREFIX.
    for f in [
        "opt/rftpd/lib/systemd/system/rftpd.service",
        "opt/rftpd/lib/systemd/system/rftpd-inetd@.service",
        "opt/rftpd/lib/systemd/system/rtftpd.service",
        "opt/rftpd/share/doc/rftpd/inetd.conf.example",
        "opt/rftpd/share/doc/rftpd/xinetd.d/rftpd",
    ] {
        let text = read(f);
        assert!(text.contains("/opt/rftpd/sbin/"), "{f}:\n{text}");
        assert!(!text.contains("@SBINDIR@") && !text.contains("/usr/local"), "{f}:\n{text}");
    }
    // Stripped: no symbol table left.
    let binary = std::fs::read(d.join("opt/rftpd/sbin/rftpd")).unwrap();
    assert!(!binary.windows(8).any(|w| w == b".symtab\0"), "rftpd is not stripped");
    assert!(read("etc/logrotate.d/rftpd").contains("/var/log/rtftpd.log"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(d.join("etc/rftpd/rftpd.users")).unwrap().permissions().mode() & 0o777, 0o600);
    // An admin's config survives a reinstall and an uninstall, which says so;
    // the files the admin left as they were go.
    std::fs::write(d.join("etc/rftpd/rftpd.conf"), "listen_port=2121\n").unwrap();
    let again = make("install");
    assert!(again.contains("kept") && again.contains("etc/rftpd/rftpd.conf"), "{again}");
    assert_eq!(read("etc/rftpd/rftpd.conf"), "listen_port=2121\n");
    let out = make("uninstall");
    assert!(out.contains("kept") && out.contains("etc/rftpd/rftpd.conf (changed"), "{out}");
    for gone in [
        "opt/rftpd/sbin/rftpd",
        "opt/rftpd/lib/systemd/system/rftpd.service",
        "etc/logrotate.d/rftpd",
        "etc/pam.d/rftpd",
        "etc/fail2ban/jail.d/rftpd.conf",
        "etc/rftpd/rtftpd.conf",
        "etc/rftpd/rftpd.users",
        "opt/rftpd/share/doc/rftpd",
    ] {
        assert!(!d.join(gone).exists(), "{gone} left behind");
    }
    assert!(d.join("etc/rftpd/rftpd.conf").exists());
}

/// On the real system (DESTDIR empty) `make install` creates the `ftp`
/// and `tftp` accounts when they are missing, with /srv/ftp as home and no login shell. Run
/// in a mount namespace over copies of /etc and /srv so the host is untouched.
#[test]
fn make_install_creates_the_ftp_and_tftp_accounts_when_missing() {
    if !root_or_skip() || !have("make") || !have("useradd") || !have("unshare") || !have("strip") {
        return;
    }
    let dir = TempDir::new("realinstall");
    let etc = dir.0.join("etc");
    let srv = dir.0.join("srv");
    run(Command::new("cp").args(["-a", "/etc"]).arg(&etc));
    std::fs::create_dir_all(&srv).unwrap();
    let prefix = dir.0.join("prefix");
    let frozen = freeze_accounts();
    let host_accounts = std::fs::read_to_string("/etc/passwd").unwrap();
    let script = r#"mount --bind "$0" /etc && mount --bind "$1" /srv &&
        for a in ftp tftp; do if getent passwd $a >/dev/null; then userdel $a; fi; done &&
        make -s -C "$2" install PREFIX="$3" BINARY="$4" &&
        getent passwd ftp tftp && make -s -C "$2" install PREFIX="$3" BINARY="$4""#;
    let out = run(Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script])
        .arg(&etc)
        .arg(&srv)
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg(&prefix)
        .arg(env!("CARGO_BIN_EXE_rftpd")));
    assert!(out.contains("created the system account ftp "), "{out}");
    assert!(out.contains("created the system account tftp "), "{out}");
    let created = out.matches("created the system account").count();
    assert_eq!(created, 2, "a second install must not create them again:\n{out}");
    let account = out.lines().find(|l| l.starts_with("ftp:")).unwrap_or_else(|| panic!("{out}"));
    let fields: Vec<&str> = account.split(':').collect();
    assert_eq!((fields[5], fields[6]), ("/srv/ftp", "/usr/sbin/nologin"), "{account}");
    let account = out.lines().find(|l| l.starts_with("tftp:")).unwrap_or_else(|| panic!("{out}"));
    assert!(account.ends_with(":/srv/tftp:/usr/sbin/nologin"), "{account}");
    assert!(srv.join("ftp").is_dir() && srv.join("tftp").is_dir());
    assert!(etc.join("rftpd/rftpd.conf").is_file());
    assert_eq!(std::fs::read_to_string("/etc/passwd").unwrap(), host_accounts, "the host's accounts changed");
    drop(frozen);
}

#[test]
fn systemd_units_verify() {
    if !have("systemd-analyze") {
        return;
    }
    let dir = TempDir::new("units");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_rftpd")).parent().unwrap().display().to_string();
    for unit in [
        "rftpd.service",
        "rftpd.socket",
        "rftpd-inetd.socket",
        "rftpd-inetd@.service",
        "rtftpd.service",
        "rtftpd.socket",
    ] {
        let text = std::fs::read_to_string(format!("{}/systemd/{unit}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        std::fs::write(dir.0.join(unit), text.replace("@SBINDIR@", &bin_dir)).unwrap();
    }
    // The per-connection unit is hardened like the daemon's.
    let exposure = |unit: &str| {
        let out = run(Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--no-pager", unit])
            .current_dir(&dir.0));
        out.lines().find_map(|l| l.split("exposure level for ").nth(1).map(|t| t.split(' ').nth(1).unwrap().to_owned()))
    };
    let daemon = exposure("rftpd.service");
    assert!(daemon.is_some());
    assert_eq!(exposure("rftpd-inetd@.service"), daemon);
    let groups = [
        &["rftpd.service", "rftpd.socket"][..],
        &["rftpd-inetd.socket", "rftpd-inetd@.service"],
        &["rtftpd.service", "rtftpd.socket"],
    ];
    for group in groups {
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .args(group.iter().map(|u| format!("./{u}")))
            .current_dir(&dir.0)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{group:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn xinetd_runs_one_rftpd_per_connection() {
    if !have("xinetd") || !have("curl") {
        return;
    }
    let dir = TempDir::new("xinetd");
    let root = dir.0.join("pub");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("hello.txt"), "via xinetd\n").unwrap();
    let port = free_port();
    let user = run(Command::new("id").arg("-un")).trim().to_string();
    let conf = dir.0.join("xinetd.conf");
    std::fs::write(
        &conf,
        format!(
            "service rftpd-test\n{{\n\ttype = UNLISTED\n\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n\tuser = {user}\n\
             \tserver = {bin}\n\tserver_args = --inetd -c /dev/null -o anonymous_enable=YES -o anon_root={root} -o log_file={log} -o ftp_username=\n\
             \tport = {port}\n\tbind = 127.0.0.1\n\tflags = REUSE\n}}\n",
            bin = env!("CARGO_BIN_EXE_rftpd"),
            root = root.display(),
            log = dir.0.join("rftpd.log").display(),
        ),
    )
    .unwrap();
    let pidfile = dir.0.join("xinetd.pid");
    let mut child = Command::new("xinetd")
        .args(["-dontfork", "-f"])
        .arg(&conf)
        .arg("-pidfile")
        .arg(&pidfile)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let listen = format!("127.0.0.1:{port}");
    assert_eq!(fetch_when_listening(&listen, "hello.txt", &mut child), b"via xinetd\n");
    let log = std::fs::read_to_string(dir.0.join("rftpd.log")).unwrap();
    assert!(log.contains("RETR /hello.txt") && log.contains("result=ok"), "{log}");
}

/// Every refused or failed command that touches a file gets a log line
/// with its result; a failed upload gets an xferlog line marked `i`; and
/// no control byte a client sends reaches the log.
#[test]
fn logs_miss_nothing_and_carry_no_control_bytes() {
    let dir = TempDir::new("logall");
    let xfer = dir.0.join("xferlog");
    let srv = TestServer::start(&[
        ("xferlog_enable", "YES"),
        ("xferlog_file", xfer.to_str().unwrap()),
        ("data_connection_timeout", "1"),
        ("delay_failed_login", "0"),
    ]);
    let mut bob = srv.login("bob", "secret");
    assert_eq!(bob.cmd("STOR refused.txt").code, 550);
    srv.wait_log("user=bob STOR /refused.txt result=550 Permission denied.");
    assert_eq!(bob.cmd("RETR missing.txt").code, 550);
    srv.wait_log("user=bob RETR /missing.txt result=550 Failed to open file: No such file or directory.");
    assert_eq!(bob.cmd("RNFR missing.txt").code, 550);
    srv.wait_log("user=bob RNFR /missing.txt result=550");
    assert_eq!(bob.cmd("SITE CHMOD 600 x").code, 550);
    srv.wait_log("user=bob SITE CHMOD 600 x result=550");
    assert_eq!(bob.cmd("APPE x").code, 550);
    srv.wait_log("user=bob APPE /x result=550");
    // An upload that fails after it began: an xferlog line marked incomplete.
    let mut alice = srv.alice();
    assert_eq!(alice.cmd("TYPE I").code, 200);
    let mut data = alice.epsv();
    assert_eq!(alice.cmd("STOR stalled.bin").code, 150);
    use std::io::Write;
    data.write_all(b"partial").unwrap();
    assert_eq!(alice.reply().code, 426, "the stalled data connection times out");
    drop(data);
    srv.wait_log("STOR /stalled.bin bytes=7");
    let deadline = std::time::Instant::now() + TIMEOUT;
    let log = loop {
        let log = std::fs::read_to_string(&xfer).unwrap_or_default();
        if log.contains("stalled.bin") || std::time::Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let line = log.lines().find(|l| l.contains("stalled.bin")).expect("an xferlog line for the failed upload");
    assert!(line.ends_with(" i"), "{line}");
    // Control bytes: a forged line attempt is flattened.
    let mut c = srv.connect();
    c.send_bytes(b"USER x\x1b[2K\rroot login ok\r\n");
    assert_eq!(c.reply().code, 331);
    c.send("PASS nope");
    assert_eq!(c.reply().code, 530);
    let line = srv.wait_log("user=x?[2K?root login ok login failed");
    assert!(!line.contains('\x1b') && !line.contains('\r'), "{line:?}");
}

/// rftpd --inetd with the accepted connection on standard input, as inetd
/// starts it; returns the process and the client's control connection.
fn inetd_session(root: &std::path::Path, log: &std::path::Path) -> (std::process::Child, FtpClient) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let pending = std::thread::spawn(move || FtpClient::connect(addr));
    let (stream, _) = listener.accept().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_rftpd"))
        .args(["--inetd", "-c", "/dev/null", "-o", "anonymous_enable=YES", "-o", "ftp_username="])
        .arg("-o")
        .arg(format!("anon_root={}", root.display()))
        .arg("-o")
        .arg(format!("log_file={}", log.display()))
        .args(["-o", "user_file=", "-o", "shutdown_grace=20"])
        .stdin(std::process::Stdio::from(std::os::fd::OwnedFd::from(stream)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, pending.join().unwrap())
}

fn wait_for_text(path: &std::path::Path, needle: &str) -> String {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(std::time::Instant::now() < deadline, "no {needle:?} in {}: {text}", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Under --inetd, SIGHUP and SIGUSR1 reopen the log and the session goes
/// on; SIGTERM lets the running transfer finish and says 421.
#[test]
fn inetd_session_answers_signals_like_the_daemon() {
    let dir = TempDir::new("inetdsig");
    let root = dir.0.join("pub");
    std::fs::create_dir(&root).unwrap();
    let content = pattern(16 << 20, 31);
    std::fs::write(root.join("big"), &content).unwrap();
    let log = dir.0.join("rftpd.log");
    let (mut child, mut c) = inetd_session(&root, &log);
    assert_eq!(c.cmd("USER anonymous").code, 331);
    assert_eq!(c.cmd("PASS x").code, 230);
    let pid = Pid::from_raw(child.id() as i32);
    std::fs::rename(&log, dir.0.join("rftpd.log.1")).unwrap();
    for sig in [Signal::SIGHUP, Signal::SIGUSR1] {
        kill(pid, sig).unwrap();
        wait_for_text(&log, "log files reopened");
        assert_eq!(c.cmd("NOOP").code, 200, "{sig:?}: the session goes on");
    }
    assert_eq!(c.cmd("TYPE I").code, 200);
    let mut data = c.epsv();
    assert_eq!(c.cmd("RETR big").code, 150);
    let mut got = vec![0u8; 1 << 20];
    data.read_exact(&mut got).unwrap();
    kill(pid, Signal::SIGTERM).unwrap();
    wait_for_text(&log, "shutting down");
    let mut rest = Vec::new();
    data.read_to_end(&mut rest).unwrap();
    got.extend(rest);
    assert!(got == content, "the transfer finished byte-exact");
    assert_eq!(c.reply().code, 226);
    assert_eq!(c.reply().lines[0], "421 Server shutting down.");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// logrotate's postrotate signals rftpd's own processes only: the units'
/// main processes through systemctl, and a daemon named by its pid_file;
/// a stale pid file that names some other process signals nothing.
#[test]
fn logrotate_signals_only_rftpds_own_processes() {
    let dir = TempDir::new("logrotate");
    let log = dir.0.join("rftpd.log");
    let pid_file = dir.0.join("rftpd.pid");
    let srv = Spec {
        extra: &[("log_file", log.to_str().unwrap()), ("pid_file", pid_file.to_str().unwrap())],
        ..Default::default()
    }
    .start();
    assert_eq!(std::fs::read_to_string(&pid_file).unwrap().trim(), srv.pid().to_string());
    // A stale rtftpd pid file naming a process that is not rtftpd.
    let mut bystander = Command::new("sleep").arg("60").spawn().unwrap();
    std::fs::write(dir.0.join("rtftpd.pid"), format!("{}\n", bystander.id())).unwrap();
    let bin = dir.0.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let calls = dir.0.join("systemctl.calls");
    std::fs::write(bin.join("systemctl"), format!("#!/bin/sh\necho \"$@\" >> {}\n", calls.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("systemctl"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let conf = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/etc/logrotate.d/rftpd")).unwrap();
    assert!(conf.contains("/var/log/rtftpd.log") && !conf.contains("pkill") && !conf.contains("killall"));
    let script = conf.split("postrotate").nth(1).unwrap().split("endscript").next().unwrap();
    let script = script.replace("/run/", &format!("{}/", dir.0.display()));
    std::fs::rename(&log, dir.0.join("rftpd.log.1")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    run(Command::new("sh").args(["-c", &script]).env("PATH", path));
    wait_for_text(&log, "log files reopened");
    let systemctl = std::fs::read_to_string(&calls).unwrap();
    for unit in ["rftpd.service", "rtftpd.service", "rftpd-inetd@*.service"] {
        assert!(systemctl.contains(&format!("kill --signal=USR1 --kill-whom=main {unit}")), "{systemctl}");
    }
    assert!(bystander.try_wait().unwrap().is_none(), "a process that is not rtftpd was signalled");
    let _ = bystander.kill();
    let _ = bystander.wait();
    let mut srv = srv;
    signal(&srv, Signal::SIGTERM);
    assert_eq!(srv.wait_exit().code(), Some(0));
    assert!(!pid_file.exists(), "the pid file is removed at exit");
}

/// Debian's real fail2ban-regex with etc/fail2ban/filter.d/rftpd.conf on a
/// log this server wrote: every failed login matches with its client's
/// address, even when the user name imitates another address; a
/// successful login never matches.
#[test]
fn fail2ban_filter_matches_failed_logins_with_their_address() {
    if !have("fail2ban-regex") {
        return;
    }
    let dir = TempDir::new("f2b");
    let log = dir.0.join("rftpd.log");
    let srv = Spec { extra: &[("log_file", log.to_str().unwrap())], ..Default::default() }.start();
    for (from, user, pass) in [
        ("127.0.0.2", "alice", "wrong"),
        ("127.0.0.2", "nobody-here", "x"),
        ("127.0.0.3", "x client=9.9.9.9 user=y", "x"),
        ("127.0.0.1", "alice", "secret"),
    ] {
        let mut c = FtpClient::from_stream(connect_from(from, srv.addr));
        assert_eq!(c.reply().code, 220);
        assert_eq!(c.cmd(&format!("USER {user}")).code, 331);
        c.cmd(&format!("PASS {pass}"));
    }
    srv.wait_log("user=alice login ok");
    srv.wait_log("user=x client=9.9.9.9 user=y login failed");
    let filter = concat!(env!("CARGO_MANIFEST_DIR"), "/etc/fail2ban/filter.d/rftpd.conf");
    let out = run(Command::new("fail2ban-regex").args(["--out", "ip"]).arg(&log).arg(filter));
    let mut ips: Vec<&str> = out.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    ips.sort();
    assert_eq!(ips, ["127.0.0.2", "127.0.0.2", "127.0.0.3"], "{out}");
}

/// log_format=json: every line is one JSON object (checked by Python's json
/// module) with the text line's fields, and the fail2ban filter reads it too.
#[test]
fn json_log_lines_parse_and_carry_the_text_fields() {
    if !have("python3") {
        return;
    }
    let dir = TempDir::new("jsonlog");
    let log = dir.0.join("rftpd.log");
    let srv =
        Spec { extra: &[("log_file", log.to_str().unwrap()), ("log_format", "json")], ..Default::default() }.start();
    let mut bad = FtpClient::from_stream(connect_from("127.0.0.2", srv.addr));
    assert_eq!(bad.reply().code, 220);
    assert_eq!(bad.cmd("USER al\"ice").code, 331);
    assert_eq!(bad.cmd("PASS wrong").code, 530);
    let mut c = srv.alice();
    assert_eq!(c.upload("STOR j.bin", b"json").code, 226);
    srv.wait_log("\"event\":\"STOR /j.bin\"");
    let check = r#"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for l in lines:
    assert {"time", "level", "pid", "event", "message"} <= l.keys(), l
stor = [l for l in lines if l["event"] == "STOR /j.bin"][0]
assert stor["user"] == "alice" and stor["client"] == "127.0.0.1" and stor["bytes"] == 4 and stor["result"] == "ok", stor
assert isinstance(stor["session"], int) and isinstance(stor["ms"], int), stor
bad = [l for l in lines if l["event"] == "login failed"][0]
assert bad["user"] == 'al"ice' and bad["client"] == "127.0.0.2", bad
print(len(lines))
"#;
    let out = run(Command::new("python3").args(["-c", check]).arg(&log));
    assert!(out.trim().parse::<usize>().unwrap() >= 5, "{out}");
    if have("fail2ban-regex") {
        let filter = concat!(env!("CARGO_MANIFEST_DIR"), "/etc/fail2ban/filter.d/rftpd.conf");
        let ips = run(Command::new("fail2ban-regex").args(["--out", "ip"]).arg(&log).arg(filter));
        assert_eq!(ips.split_whitespace().collect::<Vec<_>>(), ["127.0.0.2"], "{ips}");
    }
}

/// upload_hook runs after each completed upload with the upload in its
/// environment; a hook that hangs or fails never holds up uploads.
#[test]
fn upload_hook_gets_the_upload_and_never_stalls_sessions() {
    let dir = TempDir::new("hook");
    let record = dir.0.join("record");
    let hook = dir.0.join("hook.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nenv | grep ^RFTPD_ | sort > {}.tmp && mv {}.tmp {}\necho hook saw $RFTPD_PATH\n",
            record.display(),
            record.display(),
            record.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    // One runner: hooks run in the order their transfers ended.
    let srv = TestServer::start(&[("upload_hook", hook.to_str().unwrap()), ("upload_hook_max", "1")]);
    let mut c = srv.alice();
    assert_eq!(c.upload("STOR hooked.bin", b"12345").code, 226);
    srv.wait_log("upload_hook: hook saw /hooked.bin");
    srv.wait_log("upload_hook done for /hooked.bin");
    let env = std::fs::read_to_string(&record).unwrap();
    for want in [
        "RFTPD_USER=alice".to_string(),
        "RFTPD_PATH=/hooked.bin".into(),
        format!("RFTPD_FILE={}", srv.path("home/alice/hooked.bin").display()),
        "RFTPD_SIZE=5".into(),
        "RFTPD_CLIENT=127.0.0.1".into(),
    ] {
        assert!(env.lines().any(|l| l == want), "{want} missing:\n{env}");
    }
    // Downloads run no hook: after the next upload's hook, /hooked.bin's ran once.
    assert_eq!(c.retr("hooked.bin"), b"12345");
    assert_eq!(c.upload("STOR after.bin", b"x").code, 226);
    srv.wait_log("upload_hook done for /after.bin");
    assert_eq!(srv.log_count("upload_hook done for /hooked.bin"), 1);
    // One runner and a hook that hangs: uploads still complete at once.
    let hang = dir.0.join("hang.sh");
    // Bounded, so nothing outlives the test for long.
    std::fs::write(&hang, "#!/bin/sh\nsleep 20\n").unwrap();
    std::fs::set_permissions(&hang, std::fs::Permissions::from_mode(0o755)).unwrap();
    let srv = TestServer::start(&[("upload_hook", hang.to_str().unwrap()), ("upload_hook_max", "1")]);
    let mut c = srv.alice();
    for i in 0..5 {
        assert_eq!(c.upload(&format!("STOR f{i}"), b"x").code, 226);
    }
    // A failing hook is logged.
    let fail = dir.0.join("fail.sh");
    std::fs::write(&fail, "#!/bin/sh\necho broken >&2\nexit 3\n").unwrap();
    std::fs::set_permissions(&fail, std::fs::Permissions::from_mode(0o755)).unwrap();
    let srv = TestServer::start(&[("upload_hook", fail.to_str().unwrap())]);
    let mut c = srv.alice();
    assert_eq!(c.upload("STOR g", b"x").code, 226);
    srv.wait_log("upload_hook: broken");
    srv.wait_log("upload_hook failed for /g: exit status: 3");
}

/// `rftpd who` lists sessions with what they are doing (a running transfer
/// with its progress), `--json` too; `rftpd kick ID` ends one with 421;
/// the control socket refuses other users.
#[test]
fn who_and_kick_through_the_control_socket() {
    let dir = TempDir::new("ctl");
    let sock = dir.0.join("control.sock");
    let srv = TestServer::start(&[("control_socket", sock.to_str().unwrap()), ("local_max_rate", "200000")]);
    std::fs::write(srv.path("home/alice/big"), pattern(4 << 20, 2)).unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    let mut data = c.epsv();
    assert_eq!(c.cmd("RETR big").code, 150);
    let mut first = vec![0u8; 100_000];
    data.read_exact(&mut first).unwrap();
    let mut idle = srv.alice();
    assert_eq!(idle.cmd("NOOP").code, 200);
    let admin = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_rftpd"))
            .args(args)
            .args(["-c", "/dev/null", "-o"])
            .arg(format!("control_socket={}", sock.display()))
            .output()
            .unwrap()
    };
    let who = admin(&["who"]);
    let text = String::from_utf8_lossy(&who.stdout);
    assert!(who.status.success(), "{text}{}", String::from_utf8_lossy(&who.stderr));
    let line = text.lines().find(|l| l.contains("RETR big")).unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("alice") && line.contains("127.0.0.1") && line.contains(&format!("/{} bytes", 4 << 20)),
        "{line}"
    );
    assert!(text.lines().any(|l| l.contains("alice") && l.ends_with("NOOP")), "{text}");
    let json = admin(&["who", "--json"]);
    let check = r#"
import json, sys
rows = json.loads(sys.stdin.read())
busy = [r for r in rows if r["transfer"]]
assert len(rows) == 2 and len(busy) == 1, rows
t = busy[0]["transfer"]
assert t["file"] == "/big" and t["size"] == 4194304 and 0 < t["bytes"] <= 4194304, t
print(busy[0]["id"])
"#;
    let mut py =
        Command::new("python3").args(["-c", check]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    py.stdin.take().unwrap().write_all(&json.stdout).unwrap();
    let out = py.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&json.stdout));
    let busy_id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // Kick the idle session: it is told 421 and closed.
    let idle_id =
        text.lines().find(|l| l.ends_with("NOOP")).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    assert_ne!(idle_id, busy_id);
    let kick = admin(&["kick", &idle_id]);
    assert!(kick.status.success(), "{}", String::from_utf8_lossy(&kick.stdout));
    assert_eq!(idle.reply().lines[0], "421 Disconnected by the administrator.");
    assert!(!admin(&["kick", "999999"]).status.success(), "no such session");
    // Kicking the busy session aborts its transfer at once.
    assert!(admin(&["kick", &busy_id]).status.success());
    assert_eq!(c.reply().code, 426);
    assert_eq!(c.reply().lines[0], "421 Disconnected by the administrator.");
    drop(data);
    // Another user gets nothing from the socket.
    if root_or_skip() && have("setpriv") {
        let out = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                env!("CARGO_BIN_EXE_rftpd"),
                "who",
                "-c",
                "/dev/null",
                "-o",
            ])
            .arg(format!("control_socket={}", sock.display()))
            .output()
            .unwrap();
        assert!(!out.status.success(), "nobody may not use the control socket");
    }
}
