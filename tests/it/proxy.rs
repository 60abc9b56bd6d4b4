//! The PROXY protocol: raw-socket tests of the header rules, and a real
//! HAProxy (Debian's, started on loopback) in front of rftpd with curl
//! clients on their own addresses.

use crate::support::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

/// A server that trusts 127.0.0.1 (the "balancer" in these tests).
fn behind_balancer(extra: &[(&str, &str)]) -> TestServer {
    let mut all = vec![("proxy_protocol_enable", "YES"), ("proxy_protocol_from", "127.0.0.1, 10.0.0.0/8")];
    all.extend_from_slice(extra);
    TestServer::start(&all)
}

fn v2(client: [u8; 4], port: u16, command: u8) -> Vec<u8> {
    let mut h = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    h.push(0x20 | command);
    h.push(0x11);
    let mut body = client.to_vec();
    body.extend_from_slice(&[127, 0, 0, 1]);
    body.extend_from_slice(&port.to_be_bytes());
    body.extend_from_slice(&21u16.to_be_bytes());
    body.extend_from_slice(&[0x04, 0, 3, 1, 2, 3]); // a TLV to skip
    h.extend_from_slice(&(body.len() as u16).to_be_bytes());
    h.extend_from_slice(&body);
    h
}

/// Sends `header` (in pieces when asked), then reads the first reply line,
/// or "" when the server closed without one.
fn greet(srv: &TestServer, header: &[u8], pieces: usize) -> (String, TcpStream) {
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for chunk in header.chunks(header.len().div_ceil(pieces.max(1)).max(1)) {
        s.write_all(chunk).unwrap();
        s.flush().unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap_or(0);
    (String::from_utf8_lossy(&buf[..n]).into_owned(), s)
}

#[test]
fn proxy_headers_name_the_client_and_bad_ones_close() {
    let srv = behind_balancer(&[]);
    let (r, _a) = greet(&srv, b"PROXY TCP4 192.0.2.9 127.0.0.1 40000 21\r\n", 1);
    assert!(r.starts_with("220"), "{r}");
    srv.wait_log("client=192.0.2.9 connected");
    let (r, _b) = greet(&srv, &v2([198, 51, 100, 7], 40001, 1), 3);
    assert!(r.starts_with("220"), "v2 in three segments: {r}");
    srv.wait_log("client=198.51.100.7 connected");
    // LOCAL: the balancer's health check, closed quietly.
    let (r, _c) = greet(&srv, &v2([0, 0, 0, 0], 0, 0), 1);
    assert_eq!(r, "", "no greeting for a health check");
    for (bad, why) in [
        (&b"USER anonymous\r\n"[..], "bad PROXY header"),
        (b"PROXY TCP4 1.2.3.4 5.6.7.8 99999 21\r\n", "bad PROXY header: v1 port"),
        (&[b'P'; 200][..], "bad PROXY header"),
    ] {
        let (r, _s) = greet(&srv, bad, 1);
        assert_eq!(r, "", "{}", String::from_utf8_lossy(bad));
        srv.wait_log(why);
    }
    // A v2 header claiming 2000 bytes is refused without reading them.
    let mut big = b"\r\n\r\n\0\r\nQUIT\n\x21\x11".to_vec();
    big.extend_from_slice(&2000u16.to_be_bytes());
    let (r, _d) = greet(&srv, &big, 1);
    assert_eq!(r, "");
    srv.wait_log("v2 header too long");
    // Nothing at all: closed after 3 seconds.
    let (r, _e) = greet(&srv, b"", 1);
    assert_eq!(r, "");
    srv.wait_log("no PROXY header within 3s");
}

#[test]
fn untrusted_addresses_are_direct_clients_and_limits_count_real_clients() {
    let srv = behind_balancer(&[("max_per_ip", "2")]);
    // From 127.0.0.2 (not trusted): a direct client; a PROXY line is just a bad command.
    let mut direct = FtpClient::from_stream(connect_from("127.0.0.2", srv.addr));
    assert_eq!(direct.reply().code, 220);
    assert_eq!(direct.cmd("PROXY TCP4 192.0.2.1 127.0.0.1 1 21").code, 500);
    // max_per_ip counts the client the header names, not the balancer.
    let (a, _sa) = greet(&srv, b"PROXY TCP4 192.0.2.20 127.0.0.1 1000 21\r\n", 1);
    let (b, _sb) = greet(&srv, b"PROXY TCP4 192.0.2.20 127.0.0.1 1001 21\r\n", 1);
    let (c, _sc) = greet(&srv, b"PROXY TCP4 192.0.2.20 127.0.0.1 1002 21\r\n", 1);
    let (d, _sd) = greet(&srv, b"PROXY TCP4 192.0.2.21 127.0.0.1 1003 21\r\n", 1);
    assert!(a.starts_with("220") && b.starts_with("220"), "{a}{b}");
    assert!(c.starts_with("421"), "a third session of 192.0.2.20: {c}");
    assert!(d.starts_with("220"), "another client: {d}");
    srv.wait_log("client=192.0.2.20 refused: max_per_ip reached");
}

/// A running haproxy, killed when dropped.
struct Haproxy(std::process::Child);

impl Haproxy {
    /// Starts haproxy on `cfg` and waits until it holds 127.0.0.5:`port`
    /// (probing by connecting would make a client of its own).
    fn start(cfg: &std::path::Path, port: u16) -> Haproxy {
        let child = Command::new("haproxy")
            .arg("-f")
            .arg(cfg)
            .arg("-db")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpListener::bind(("127.0.0.5", port)).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Haproxy(child)
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Writes a HAProxy config with one frontend for the control port and one
/// for the passive range, both sending PROXY headers (v2 or v1).
fn haproxy_config(front: &str, control: u16, node: &str, node_port: u16, pasv: (u16, u16), v1: bool) -> String {
    let send = if v1 { "send-proxy" } else { "send-proxy-v2" };
    format!(
        "global\n  maxconn 200\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n\
         frontend ftp\n  bind {front}:{control}\n  default_backend nodes\n\
         backend nodes\n  server n1 {node}:{node_port} {send}\n\
         frontend ftp_pasv\n  bind {front}:{}-{}\n  default_backend nodes_pasv\n\
         backend nodes_pasv\n  server n1 {node} {send}\n",
        pasv.0, pasv.1
    )
}

/// Debian's HAProxy in front of rftpd (v2, then v1): curl from its own
/// address uploads and downloads byte-exact through the balancer, passive
/// data connections included, and rftpd's log shows curl's address.
#[test]
fn through_a_real_haproxy_the_client_keeps_its_address() {
    if !have("haproxy") || !have("curl") {
        eprintln!("SKIPPED: haproxy or curl missing (.ci/run installs them)");
        return;
    }
    for v1 in [false, true] {
        let base = 31000 + (std::process::id() % 400) as u16 * 10 + if v1 { 5 } else { 0 };
        let pasv = (base, base + 4);
        let range = (pasv.0.to_string(), pasv.1.to_string());
        let srv = behind_balancer(&[
            ("pasv_min_port", &range.0),
            ("pasv_max_port", &range.1),
            ("pasv_address", "127.0.0.5"),
            ("max_per_ip", "2"),
        ]);
        let front_port = std::net::TcpListener::bind("127.0.0.5:0").unwrap().local_addr().unwrap().port();
        let dir = TempDir::new("haproxy");
        let cfg = dir.0.join("haproxy.cfg");
        std::fs::write(&cfg, haproxy_config("127.0.0.5", front_port, "127.0.0.1", srv.addr.port(), pasv, v1)).unwrap();
        let _haproxy = Haproxy::start(&cfg, front_port);
        let body = pattern(300_000, 9);
        std::fs::write(dir.0.join("up.bin"), &body).unwrap();
        let url = format!("ftp://127.0.0.5:{front_port}/");
        let curl = |args: &[&str]| {
            run(Command::new("curl")
                .args(["-sS", "--max-time", "30", "--interface", "127.0.0.6", "-u", "alice:secret"])
                .args(args))
        };
        curl(&["-T", dir.0.join("up.bin").to_str().unwrap(), &url]);
        curl(&["-o", dir.0.join("down.bin").to_str().unwrap(), &format!("{url}up.bin")]);
        assert!(std::fs::read(dir.0.join("down.bin")).unwrap() == body, "byte-exact through haproxy (v1={v1})");
        assert!(std::fs::read(srv.path("home/alice/up.bin")).unwrap() == body);
        if have("lftp") {
            // lftp too, from 127.0.0.8, passive (EPSV) through the passive frontend.
            let script = format!(
                "set net:socket-bind-ipv4 127.0.0.8; set ftp:passive-mode on; set net:max-retries 1; \
                 open -u alice,secret -p {front_port} 127.0.0.5; get up.bin -o {}; bye",
                dir.0.join("lftp.bin").display()
            );
            run(Command::new("lftp").args(["-c", &script]));
            assert!(std::fs::read(dir.0.join("lftp.bin")).unwrap() == body, "lftp through haproxy");
            srv.wait_log("client=127.0.0.8 user=alice RETR /up.bin bytes=300000");
        }
        srv.wait_log("client=127.0.0.6 user=alice login ok");
        srv.wait_log("client=127.0.0.6 user=alice STOR /up.bin bytes=300000");
        srv.wait_log("client=127.0.0.6 user=alice RETR /up.bin bytes=300000");
        // A health check (no PROXY header is sent by haproxy's check here) is not needed; the log
        // never names the balancer as a client.
        // A passive data connection through the balancer from another real
        // client (127.0.0.7) gets nothing; the session's own client gets the file.
        let mut c = FtpClient::from_stream(connect_from("127.0.0.6", ([127, 0, 0, 5], front_port).into()));
        assert_eq!(c.reply().code, 220);
        assert_eq!(c.cmd("USER alice").code, 331);
        assert_eq!(c.cmd("PASS secret").code, 230);
        assert_eq!(c.cmd("TYPE I").code, 200);
        let r = c.cmd("EPSV");
        let port: u16 = r.lines[0].split('|').nth(3).unwrap().parse().unwrap();
        let mut thief = connect_from("127.0.0.7", ([127, 0, 0, 5], port).into());
        srv.wait_log("passive data connection from 127.0.0.7 refused");
        thief.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut stolen = Vec::new();
        let _ = thief.read_to_end(&mut stolen);
        assert!(stolen.is_empty(), "the thief got data");
        let mut data = connect_from("127.0.0.6", ([127, 0, 0, 5], port).into());
        assert_eq!(c.cmd("RETR up.bin").code, 150);
        let mut got = Vec::new();
        data.read_to_end(&mut got).unwrap();
        assert!(got == body, "the client's own data connection through the balancer");
        assert_eq!(c.reply().code, 226);
        // max_per_ip=2 counts 127.0.0.6 through the balancer: a second session
        // is served, a third refused, while another client is served.
        let front: std::net::SocketAddr = ([127, 0, 0, 5], front_port).into();
        let mut second = FtpClient::from_stream(connect_from("127.0.0.6", front));
        assert_eq!(second.reply().code, 220);
        let mut third = FtpClient::from_stream(connect_from("127.0.0.6", front));
        assert_eq!(third.reply().code, 421, "a third session of 127.0.0.6 through the balancer");
        let mut other = FtpClient::from_stream(connect_from("127.0.0.9", front));
        assert_eq!(other.reply().code, 220);
        assert_eq!(srv.log_count("client=127.0.0.1 "), 0, "the balancer's address must not appear as a client");
    }
}

/// Three nodes sharing one tree behind HAProxy (round robin, health
/// checks that speak PROXY too): a file uploaded through one node is
/// downloaded through the others, each node logs the real clients, and a
/// node stopped with SIGTERM during a transfer lets it finish while new
/// sessions go to the other nodes.
#[test]
fn three_nodes_behind_haproxy_share_the_tree_and_drain_one() {
    if !have("haproxy") || !have("curl") {
        eprintln!("SKIPPED: haproxy or curl missing (.ci/run installs them)");
        return;
    }
    let rate = ("local_max_rate", "500000");
    let first = behind_balancer(&[rate]);
    let users = first.path("users");
    let mut nodes = vec![first];
    for ip in ["127.0.0.2", "127.0.0.3"] {
        let extra = [
            ("proxy_protocol_enable", "YES"),
            ("proxy_protocol_from", "127.0.0.1"),
            ("user_file", users.to_str().unwrap()),
            rate,
        ];
        nodes.push(Spec { listen: ip, extra: &extra, ..Spec::default() }.start());
    }
    let front_port = std::net::TcpListener::bind("127.0.0.5:0").unwrap().local_addr().unwrap().port();
    let dir = TempDir::new("haproxy3");
    let cfg = dir.0.join("haproxy.cfg");
    let servers: String = nodes.iter().enumerate().map(|(i, n)| format!("  server n{i} {}\n", n.addr)).collect();
    std::fs::write(
        &cfg,
        format!(
            "global\n  maxconn 200\ndefaults\n  mode tcp\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n  \
             option redispatch\n  retries 2\n\
             frontend ftp\n  bind 127.0.0.5:{front_port}\n  default_backend nodes\n\
             backend nodes\n  balance roundrobin\n  default-server send-proxy-v2 check check-send-proxy inter 200ms fall 2 rise 2\n\
             {servers}"
        ),
    )
    .unwrap();
    let _haproxy = Haproxy::start(&cfg, front_port);
    std::thread::sleep(Duration::from_millis(600)); // every node seen up
    let body = pattern(200_000, 4);
    std::fs::write(dir.0.join("up.bin"), &body).unwrap();
    let url = format!("ftp://127.0.0.5:{front_port}/");
    // Active mode: each node connects straight to the real client.
    let curl = move |from: &str, args: &[&str]| {
        Command::new("curl")
            .args(["-sS", "--max-time", "30", "--interface", from, "-P", from, "-u", "alice:secret"])
            .args(args)
            .output()
            .unwrap()
    };
    assert!(curl("127.0.0.6", &["-T", dir.0.join("up.bin").to_str().unwrap(), &url]).status.success());
    for (i, from) in ["127.0.0.7", "127.0.0.8", "127.0.0.9"].iter().enumerate() {
        let out = dir.0.join(format!("down{i}"));
        assert!(curl(from, &["-o", out.to_str().unwrap(), &format!("{url}up.bin")]).status.success());
        assert!(std::fs::read(&out).unwrap() == body, "download {i} through the balancer");
    }
    // Round robin spread the four sessions over the nodes, which log real clients.
    let logins = |s: &TestServer| s.log_count("user=alice login ok");
    assert!(nodes.iter().filter(|n| logins(n) > 0).count() >= 2, "the sessions were spread");
    assert_eq!(nodes.iter().map(|n| n.log_count("client=127.0.0.1 ")).sum::<usize>(), 0);
    // A slow download (1.5 MB at 500 kB/s), then SIGTERM on the node serving it.
    let big = pattern(1_500_000, 6);
    std::fs::write(nodes[0].path("home/alice/big.bin"), &big).unwrap();
    let big_out = dir.0.join("big.out");
    let slow = {
        let (url, out) = (format!("{url}big.bin"), big_out.clone());
        std::thread::spawn(move || curl("127.0.0.10", &["-o", out.to_str().unwrap(), &url]))
    };
    let serving = (0..200)
        .find_map(|_| {
            let found = nodes.iter().position(|n| n.log_count("client=127.0.0.10 user=alice login ok") > 0);
            if found.is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
            found
        })
        .expect("a node took the slow download");
    std::thread::sleep(Duration::from_millis(500));
    let pid = nix::unistd::Pid::from_raw(nodes[serving].pid() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    std::thread::sleep(Duration::from_millis(800)); // the checks see its listener gone
    let before: Vec<usize> = nodes.iter().map(logins).collect();
    for i in 0..3 {
        let out = dir.0.join(format!("after{i}"));
        let r = curl("127.0.0.11", &["-o", out.to_str().unwrap(), &format!("{url}up.bin")]);
        assert!(r.status.success(), "while node {serving} drains: {}", String::from_utf8_lossy(&r.stderr));
        assert!(std::fs::read(&out).unwrap() == body);
    }
    let after: Vec<usize> = nodes.iter().map(logins).collect();
    assert_eq!(after[serving], before[serving], "no new session went to the draining node");
    let r = slow.join().unwrap();
    assert!(r.status.success(), "the running download finished: {}", String::from_utf8_lossy(&r.stderr));
    assert!(std::fs::read(&big_out).unwrap() == big, "byte-exact");
    assert_eq!(nodes[serving].wait_exit().code(), Some(0));
}
