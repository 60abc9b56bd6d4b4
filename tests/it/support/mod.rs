//! TestServer: the real rftpd binary on an ephemeral loopback port with a
//! temporary root, killed on drop. FtpClient: raw TCP, reading replies the
//! way RFC 959 frames them. Every socket has a timeout so no test hangs.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(20);
/// `openssl passwd -6 -salt saltsalt secret`
pub const SECRET_HASH: &str =
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("rftpd-it-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How to start a test server: listen address, `-o` options, an optional
/// config file (`-c`), extra environment.
pub struct Spec<'a> {
    /// Run rtftpd (with tftp_root = `tftp/`) instead of rftpd.
    pub tftp: bool,
    pub listen: &'a str,
    pub extra: &'a [(&'a str, &'a str)],
    /// Keys of the test set-up to leave at rftpd's own default.
    pub unset: &'a [&'a str],
    pub conf: Option<&'a str>,
    pub env: &'a [(&'a str, &'a str)],
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Spec { tftp: false, listen: "127.0.0.1", extra: &[], unset: &[], conf: None, env: &[] }
    }
}

impl Spec<'_> {
    pub fn start(&self) -> TestServer {
        TestServer::spawn(self)
    }
}

pub struct TestServer {
    child: Child,
    pub addr: SocketAddr,
    pub dir: TempDir,
    log: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    /// A server on 127.0.0.1 with anonymous (read-only) and two virtual
    /// users: alice (rw, password "secret") and bob (ro, "secret").
    pub fn start(extra: &[(&str, &str)]) -> TestServer {
        Self::start_on("127.0.0.1", extra)
    }

    pub fn start_on(listen: &str, extra: &[(&str, &str)]) -> TestServer {
        Spec { listen, extra, ..Spec::default() }.start()
    }

    fn spawn(spec: &Spec<'_>) -> TestServer {
        let dir = TempDir::new("srv");
        let d = &dir.0;
        for sub in ["anon", "home/alice", "home/bob", "tftp"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        std::fs::write(d.join("anon/readme.txt"), "hello from anon\n").unwrap();
        let users = format!(
            "# test users\nalice:{SECRET_HASH}:{}:rw\nbob:{SECRET_HASH}:{}:ro\n",
            d.join("home/alice").display(),
            d.join("home/bob").display()
        );
        std::fs::write(d.join("users"), users).unwrap();
        let tftp_opts = [
            ("listen_address", spec.listen.to_string()),
            ("listen_port", "0".into()),
            ("tftp_root", d.join("tftp").display().to_string()),
            // No `tftp` account on a fresh host: stay the runner (the
            // hardening tests create one and set it).
            ("tftp_username", String::new()),
            ("log_file", String::new()),
        ];
        let ftp_opts = [
            ("listen_address", spec.listen.to_string()),
            ("listen_port", "0".into()),
            ("anonymous_enable", "YES".into()),
            ("anon_root", d.join("anon").display().to_string()),
            ("user_file", d.join("users").display().to_string()),
            // The test tree is the test runner's (root in CI): sessions run
            // as the server's account; the accounts tests set these.
            ("ftp_username", String::new()),
            ("guest_username", String::new()),
            ("write_enable", "YES".into()),
            ("local_umask", "022".into()),
            ("delay_failed_login", "0".into()),
            ("accept_timeout", "5".into()),
            ("connect_timeout", "5".into()),
            ("data_connection_timeout", "20".into()),
            ("idle_session_timeout", "60".into()),
            ("log_file", String::new()),
            // Not the shared /run/rftpd/control.sock: tests run side by side.
            ("control_socket", String::new()),
        ];
        let base: &[(&str, String)] = if spec.tftp { &tftp_opts } else { &ftp_opts };
        let mut opts: Vec<(String, String)> =
            base.iter().filter(|(k, _)| !spec.unset.contains(k)).map(|(k, v)| (k.to_string(), v.clone())).collect();
        for (k, v) in spec.extra {
            opts.retain(|(key, _)| key != k);
            opts.push((k.to_string(), v.to_string()));
        }
        let log_file = opts.iter().find(|(k, v)| k == "log_file" && !v.is_empty()).map(|(_, v)| PathBuf::from(v));
        let mut cmd = Command::new(if spec.tftp { env!("CARGO_BIN_EXE_rtftpd") } else { env!("CARGO_BIN_EXE_rftpd") });
        match spec.conf {
            Some(text) => {
                std::fs::write(d.join("rftpd.conf"), text).unwrap();
                cmd.arg("-c").arg(d.join("rftpd.conf"));
            }
            None => {
                cmd.args(["-c", "/dev/null"]);
            }
        }
        for (k, v) in &opts {
            cmd.arg("-o").arg(format!("{k}={v}"));
        }
        for (k, v) in spec.env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rftpd");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            let on_line = |line: String| {
                if let Some(addr) = line.split("listening on ").nth(1) {
                    // Up to the closing quote of log_format=json's "event".
                    let addr = addr.split('"').next().unwrap_or(addr);
                    let _ = tx.send(addr.trim().trim_start_matches("udp ").to_string());
                }
                log2.lock().unwrap().push(line);
            };
            match log_file {
                // Logs go to a file: follow it (by path, across renames) until the server is gone.
                Some(path) => {
                    let mut stderr = stderr;
                    let mut seen = 0usize;
                    let mut scratch = [0u8; 256];
                    loop {
                        if let Ok(text) = std::fs::read_to_string(&path) {
                            let lines: Vec<&str> = text.lines().collect();
                            for l in lines.iter().skip(seen) {
                                on_line(l.to_string());
                            }
                            seen = seen.max(lines.len());
                        }
                        // stderr closes when the server exits; until then wait a little and look again.
                        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
                        use std::os::fd::AsFd;
                        let mut fds = [PollFd::new(stderr.as_fd(), PollFlags::POLLIN)];
                        if poll(&mut fds, PollTimeout::from(20u8)).unwrap_or(0) > 0
                            && matches!(stderr.read(&mut scratch), Ok(0) | Err(_))
                        {
                            return;
                        }
                    }
                }
                None => {
                    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                        on_line(line);
                    }
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(a) => a.parse().unwrap(),
            Err(_) => {
                let _ = child.kill();
                panic!("rftpd did not start: {:?}", log.lock().unwrap());
            }
        };
        TestServer { child, addr, dir, log }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.0.join(rel)
    }

    /// Writes alice's `huge.bin` (64 MiB, more than socket buffers hold, so
    /// a download of it stays running until read) and returns its content.
    pub fn big_file(&self) -> Vec<u8> {
        let content = pattern(64 << 20, 3);
        std::fs::write(self.path("home/alice/huge.bin"), &content).unwrap();
        content
    }

    pub fn connect(&self) -> FtpClient {
        FtpClient::connect(self.addr)
    }

    pub fn login(&self, user: &str, pass: &str) -> FtpClient {
        let mut c = self.connect();
        assert_eq!(c.cmd(&format!("USER {user}")).code, 331);
        let r = c.cmd(&format!("PASS {pass}"));
        assert_eq!(r.code, 230, "login {user}: {r:?}");
        c
    }

    pub fn alice(&self) -> FtpClient {
        self.login("alice", "secret")
    }

    /// Waits (bounded) for a server log line containing `needle`.
    pub fn wait_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(l) = self.log.lock().unwrap().iter().find(|l| l.contains(needle)) {
                return l.clone();
            }
            assert!(Instant::now() < deadline, "no log line with {needle:?}: {:?}", self.log.lock().unwrap());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many log lines so far contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        self.log.lock().unwrap().iter().filter(|l| l.contains(needle)).count()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub code: u16,
    /// Every line of the reply, CRLF removed.
    pub lines: Vec<String>,
}

impl Reply {
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

pub struct FtpClient {
    pub stream: TcpStream,
    reader: BufReader<TcpStream>,
}

pub fn timeouts(s: &TcpStream) {
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.set_write_timeout(Some(TIMEOUT)).unwrap();
}

impl FtpClient {
    pub fn connect(addr: SocketAddr) -> FtpClient {
        let stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
        timeouts(&stream);
        let reader = BufReader::new(stream.try_clone().unwrap());
        let mut c = FtpClient { stream, reader };
        let greeting = c.reply();
        assert_eq!(greeting.code, 220, "{greeting:?}");
        c
    }

    /// Wraps a connection whose first reply the caller reads itself.
    pub fn raw(addr: SocketAddr) -> FtpClient {
        FtpClient::from_stream(TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect"))
    }

    /// Wraps a connected stream (e.g. from [`connect_from`]); the caller reads the greeting.
    pub fn from_stream(stream: TcpStream) -> FtpClient {
        timeouts(&stream);
        let reader = BufReader::new(stream.try_clone().unwrap());
        FtpClient { stream, reader }
    }

    /// Reads one reply (RFC 959 §4.2 multi-line aware).
    pub fn reply(&mut self) -> Reply {
        let mut lines = Vec::new();
        let mut first = String::new();
        self.reader.read_line(&mut first).expect("read reply");
        assert!(first.ends_with("\r\n"), "reply line must end in CRLF: {first:?}");
        let first = first.trim_end().to_string();
        assert!(first.len() >= 3, "short reply {first:?}");
        let code: u16 = first[..3].parse().unwrap_or_else(|_| panic!("bad reply {first:?}"));
        let multi = first.as_bytes().get(3) == Some(&b'-');
        lines.push(first);
        if multi {
            let end = format!("{code} ");
            loop {
                let mut l = String::new();
                self.reader.read_line(&mut l).expect("read reply");
                assert!(l.ends_with("\r\n"), "reply line must end in CRLF: {l:?}");
                let l = l.trim_end_matches("\r\n").to_string();
                let done = l.starts_with(&end);
                lines.push(l);
                if done {
                    break;
                }
            }
        }
        Reply { code, lines }
    }

    /// Reads until EOF or timeout: true if the server closed the connection.
    pub fn closed(&mut self) -> bool {
        let mut buf = [0u8; 64];
        matches!(self.reader.read(&mut buf), Ok(0) | Err(_))
    }

    pub fn send(&mut self, line: &str) {
        self.stream.write_all(format!("{line}\r\n").as_bytes()).unwrap();
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    pub fn cmd(&mut self, line: &str) -> Reply {
        self.send(line);
        self.reply()
    }

    /// EPSV, then connect to the announced port.
    pub fn epsv(&mut self) -> TcpStream {
        let r = self.cmd("EPSV");
        assert_eq!(r.code, 229, "{r:?}");
        let port: u16 = r.lines[0].split('|').nth(3).unwrap().parse().unwrap();
        let ip = self.stream.peer_addr().unwrap().ip();
        let s = TcpStream::connect_timeout(&SocketAddr::new(ip, port), TIMEOUT).unwrap();
        timeouts(&s);
        s
    }

    /// PASV, then connect to the announced address.
    pub fn pasv(&mut self) -> TcpStream {
        let r = self.cmd("PASV");
        assert_eq!(r.code, 227, "{r:?}");
        let addr = parse_227(&r.lines[0]);
        let s = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
        timeouts(&s);
        s
    }

    /// Opens a passive data connection, runs `cmd`, expects 150, reads all
    /// data and the final reply.
    pub fn download(&mut self, cmd: &str) -> (Vec<u8>, Reply) {
        let mut data = self.epsv();
        let r = self.cmd(cmd);
        assert_eq!(r.code, 150, "{cmd}: {r:?}");
        let mut buf = Vec::new();
        data.read_to_end(&mut buf).unwrap();
        (buf, self.reply())
    }

    pub fn retr(&mut self, path: &str) -> Vec<u8> {
        let (buf, r) = self.download(&format!("RETR {path}"));
        assert_eq!(r.code, 226, "{r:?}");
        buf
    }

    /// Starts a binary RETR of the huge file ([`TestServer::big_file`]) and
    /// reads a little of it: the transfer is running when this returns.
    pub fn start_big_retr(&mut self) -> TcpStream {
        assert_eq!(self.cmd("TYPE I").code, 200);
        let mut data = self.epsv();
        assert_eq!(self.cmd("RETR huge.bin").code, 150);
        let mut buf = vec![0u8; 65_536];
        data.read_exact(&mut buf).unwrap();
        data
    }

    /// ABOR of a running transfer: 426 for the transfer, then 226.
    pub fn abor_running(&mut self) {
        self.send("ABOR");
        assert_eq!(self.reply().code, 426);
        assert_eq!(self.reply().code, 226);
    }

    pub fn listing(&mut self, cmd: &str) -> String {
        let (buf, r) = self.download(cmd);
        assert_eq!(r.code, 226, "{r:?}");
        String::from_utf8(buf).unwrap()
    }

    /// Uploads with `cmd` (STOR/APPE/STOU …) and returns the final reply.
    pub fn upload(&mut self, cmd: &str, content: &[u8]) -> Reply {
        let mut data = self.epsv();
        let r = self.cmd(cmd);
        assert_eq!(r.code, 150, "{cmd}: {r:?}");
        data.write_all(content).unwrap();
        drop(data);
        self.reply()
    }
}

/// `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).` → address.
pub fn parse_227(line: &str) -> SocketAddr {
    let inner = &line[line.find('(').unwrap() + 1..line.find(')').unwrap()];
    let n: Vec<u16> = inner.split(',').map(|x| x.parse().unwrap()).collect();
    let ip: IpAddr = format!("{}.{}.{}.{}", n[0], n[1], n[2], n[3]).parse().unwrap();
    SocketAddr::new(ip, n[4] * 256 + n[5])
}

/// A listener for active-mode tests, on `ip` with an ephemeral port.
pub fn active_listener(ip: &str) -> TcpListener {
    TcpListener::bind((ip, 0)).unwrap()
}

pub fn accept(l: &TcpListener) -> TcpStream {
    l.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                timeouts(&s);
                return s;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// Deterministic pseudo-random bytes.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// Names in a directory, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Whether an external program is installed. Under CI a missing tool fails
/// the test (the CI script must install it); locally it is reported and skipped.
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !found {
        assert!(std::env::var("CI").is_err(), "{tool} is not installed, but CI must run this test");
        eprintln!("SKIPPED: {tool} is not installed");
    }
    found
}

/// Whether the test runs as root. A test that needs root never passes
/// silently: under CI (which runs as root) it fails without it; elsewhere
/// it is reported as skipped, by name.
pub fn root_or_skip() -> bool {
    if nix::unistd::Uid::effective().is_root() {
        return true;
    }
    let current = std::thread::current();
    let name = current.name().unwrap_or("this test");
    assert!(std::env::var("CI").is_err(), "{name} needs root, and CI runs as root");
    eprintln!("SKIPPED: {name}: needs root");
    false
}

/// Runs a command with a deadline; panics with its output on failure or timeout.
pub fn run(cmd: &mut Command) -> String {
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(o) => o.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("command timed out: {cmd:?}");
        }
    };
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed ({}):\n{text}", out.status);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl TestServer {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for the server to exit by itself.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl FtpClient {
    /// A connection attempt that may fail (the server may be gone).
    pub fn try_connect(addr: SocketAddr) -> Option<TcpStream> {
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()
    }
}

/// A TCP connection from a chosen loopback source address (127.0.0.2, …).
pub fn connect_from(ip: &str, target: SocketAddr) -> TcpStream {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, socket};
    use std::os::fd::AsRawFd;
    let fd = socket(AddressFamily::Inet, SockType::Stream, SockFlag::empty(), None).unwrap();
    bind(fd.as_raw_fd(), &SockaddrIn::from(format!("{ip}:0").parse::<std::net::SocketAddrV4>().unwrap())).unwrap();
    let SocketAddr::V4(t) = target else { panic!() };
    connect(fd.as_raw_fd(), &SockaddrIn::from(t)).unwrap();
    TcpStream::from(fd)
}

/// useradd/userdel lock /etc/passwd; tests in this binary take turns.
static ACCOUNTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Holds off every other test's account changes until dropped, for a test
/// that compares the host's /etc/passwd before and after something.
pub fn freeze_accounts() -> std::sync::MutexGuard<'static, ()> {
    ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// A system account made for one test, deleted on drop.
pub struct SystemUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

impl SystemUser {
    /// A new account `rft<pid><tag>` with home `home`, shell /bin/sh and
    /// password "secret" (hashed by chpasswd with the system's default, yescrypt on Debian).
    pub fn new(tag: &str, home: &Path) -> SystemUser {
        let name = format!("rft{}{tag}", std::process::id());
        let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        let _ = Command::new("userdel").arg(&name).output();
        remove_entries(&name);
        let added = Command::new("useradd").args(["-m", "-s", "/bin/sh", "-d"]).arg(home).arg(&name).output();
        if added.is_ok_and(|o| o.status.success()) {
            let mut chpasswd = Command::new("chpasswd").stdin(std::process::Stdio::piped()).spawn().expect("chpasswd");
            use std::io::Write;
            chpasswd.stdin.take().unwrap().write_all(format!("{name}:secret\n").as_bytes()).unwrap();
            assert!(chpasswd.wait().unwrap().success());
        } else {
            // /etc/passwd is a bind-mounted file (../shared/tools/fresh-host-test),
            // which useradd cannot replace: write the entries in place.
            add_entries(&name, home);
        }
        let user = nix::unistd::User::from_name(&name).unwrap().expect("the new account");
        SystemUser { name, uid: user.uid.as_raw(), gid: user.gid.as_raw(), home: home.to_path_buf() }
    }
}

impl SystemUser {
    /// `usermod ARGS NAME`; where usermod cannot replace a bind-mounted
    /// /etc/passwd (fresh-host-test), `-s SHELL`, `-d HOME`, `-e DAYS` and
    /// `-L` are done in place.
    pub fn usermod(&self, args: &[&str]) {
        let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        let done = Command::new("usermod").args(args).arg(&self.name).output();
        if done.is_ok_and(|o| o.status.success()) {
            return;
        }
        let (file, field) = match args {
            ["-s", _] => ("/etc/passwd", 6),
            ["-d", _] => ("/etc/passwd", 5),
            ["-L"] => ("/etc/shadow", 1),
            ["-e", _] => ("/etc/shadow", 7),
            _ => panic!("usermod {args:?} failed and has no in-place fallback"),
        };
        let value = |old: &str| match args {
            ["-s", new] | ["-d", new] | ["-e", new] => new.to_string(),
            _ => format!("!{old}"),
        };
        let prefix = format!("{}:", self.name);
        let text = std::fs::read_to_string(file).unwrap();
        let edited: String = text
            .lines()
            .map(|l| {
                if !l.starts_with(&prefix) {
                    return format!("{l}\n");
                }
                let mut fields: Vec<String> = l.split(':').map(str::to_owned).collect();
                fields[field] = value(&fields[field]);
                format!("{}\n", fields.join(":"))
            })
            .collect();
        std::fs::write(file, edited).unwrap();
    }
}

const ACCOUNT_FILES: [&str; 3] = ["/etc/passwd", "/etc/group", "/etc/shadow"];

/// Appends `name` to passwd, group and shadow in place (a free uid/gid from
/// 61000, password "secret"), and makes its home.
fn add_entries(name: &str, home: &Path) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let group = std::fs::read_to_string("/etc/group").unwrap();
    let used = |text: &str, id: u32| text.lines().any(|l| l.split(':').nth(2) == Some(&id.to_string()));
    let id = (61_000..65_000).find(|id| !used(&passwd, *id) && !used(&group, *id)).expect("a free id");
    let lines = [
        format!("{name}:x:{id}:{id}::{}:/bin/sh\n", home.display()),
        format!("{name}:x:{id}:\n"),
        format!("{name}:{SECRET_HASH}:19000:0:99999:7:::\n"),
    ];
    for (file, line) in ACCOUNT_FILES.iter().zip(lines) {
        let mut text = std::fs::read_to_string(file).unwrap();
        text.push_str(&line);
        std::fs::write(file, text).unwrap();
    }
    std::fs::create_dir_all(home).unwrap();
    std::os::unix::fs::chown(home, Some(id), Some(id)).unwrap();
}

/// Removes `name`'s lines from passwd, group and shadow in place.
fn remove_entries(name: &str) {
    let prefix = format!("{name}:");
    for file in ACCOUNT_FILES {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        if text.lines().any(|l| l.starts_with(&prefix)) {
            let kept: String = text.lines().filter(|l| !l.starts_with(&prefix)).map(|l| format!("{l}\n")).collect();
            let _ = std::fs::write(file, kept);
        }
    }
}

impl Drop for SystemUser {
    fn drop(&mut self) {
        let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        let _ = Command::new("userdel").arg(&self.name).output();
        remove_entries(&self.name);
    }
}
