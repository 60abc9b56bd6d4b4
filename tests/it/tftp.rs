//! rtftpd: raw UDP tests for RFC 1350/2347/2348/2349/7440 behaviour, and
//! interop with tftp-hpa, atftp and curl.

use crate::support::*;
use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::Duration;

fn tftp_server(extra: &[(&str, &str)]) -> TestServer {
    Spec { tftp: true, extra, ..Spec::default() }.start()
}

fn request(op: u8, name: &str, mode: &str, opts: &[(&str, &str)]) -> Vec<u8> {
    let mut p = vec![0, op];
    for s in [name, mode].into_iter().chain(opts.iter().flat_map(|(k, v)| [*k, *v])) {
        p.extend_from_slice(s.as_bytes());
        p.push(0);
    }
    p
}

fn ack(block: u16) -> [u8; 4] {
    let b = block.to_be_bytes();
    [0, 4, b[0], b[1]]
}

fn data(block: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0, 3];
    p.extend_from_slice(&block.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

struct Client {
    sock: UdpSocket,
    server: SocketAddr,
    /// The transfer's TID, learnt from its first packet.
    tid: Option<SocketAddr>,
}

impl Client {
    fn new(server: SocketAddr) -> Client {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Client { sock, server, tid: None }
    }

    fn send_request(&self, p: &[u8]) {
        self.sock.send_to(p, self.server).unwrap();
    }

    fn send(&self, p: &[u8]) {
        self.sock.send_to(p, self.tid.expect("tid")).unwrap();
    }

    /// Next packet: (opcode, block/code, payload).
    fn recv(&mut self) -> (u16, u16, Vec<u8>) {
        let mut buf = vec![0u8; 70_000];
        let (n, from) = self.sock.recv_from(&mut buf).expect("no packet from rtftpd");
        self.tid.get_or_insert(from);
        let op = u16::from_be_bytes([buf[0], buf[1]]);
        let b = if n >= 4 { u16::from_be_bytes([buf[2], buf[3]]) } else { 0 };
        // OACK has no block number: its options start right after the opcode.
        let start = if op == 6 { 2 } else { 4.min(n) };
        (op, b, buf[start..n].to_vec())
    }

    /// Reads a whole file with ACK after every `window` blocks (and the last).
    fn read_all(&mut self, blksize: usize, window: usize, first: Option<(u16, u16, Vec<u8>)>) -> Vec<u8> {
        self.read_all_from(1, blksize, window, first)
    }

    /// The same from block `start` on (after a window restart).
    fn read_all_from(
        &mut self,
        start: u16,
        blksize: usize,
        window: usize,
        first: Option<(u16, u16, Vec<u8>)>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut expected = start;
        let mut in_window = 0;
        let mut pending = first;
        loop {
            let (op, block, payload) = pending.take().unwrap_or_else(|| self.recv());
            assert_eq!(op, 3, "expected DATA, got opcode {op}: {}", String::from_utf8_lossy(&payload));
            // RFC 1350: a repeat of the block before (our ACK was late or
            // lost) is acknowledged again, not an error.
            if block == expected.wrapping_sub(1) && expected != start {
                self.send(&ack(block));
                in_window = 0;
                continue;
            }
            assert_eq!(block, expected, "blocks arrive in order");
            let last = payload.len() < blksize;
            out.extend_from_slice(&payload);
            in_window += 1;
            if last || in_window == window {
                self.send(&ack(block));
                in_window = 0;
            }
            if last {
                return out;
            }
            expected = expected.wrapping_add(1);
        }
    }
}

fn oack_options(payload: &[u8]) -> Vec<(String, String)> {
    let parts: Vec<String> = payload.split(|&b| b == 0).map(|s| String::from_utf8_lossy(s).into_owned()).collect();
    parts.chunks_exact(2).map(|kv| (kv[0].clone(), kv[1].clone())).collect()
}

#[test]
fn rfc1350_rrq_octet_including_exact_multiple_of_512() {
    let srv = tftp_server(&[]);
    for len in [0usize, 100, 512, 1024, 5000] {
        let content = pattern(len, len as u32);
        std::fs::write(srv.path(&format!("tftp/f{len}")), &content).unwrap();
        let mut c = Client::new(srv.addr);
        c.send_request(&request(1, &format!("f{len}"), "octet", &[]));
        assert_eq!(c.read_all(512, 1, None), content, "{len} bytes");
    }
    srv.wait_log("RRQ f5000 mode=octet bytes=5000 blksize=512 windowsize=1");
}

#[test]
fn rfc2347_oack_with_blksize_tsize_timeout() {
    let srv = tftp_server(&[]);
    let content = pattern(100_000, 1);
    std::fs::write(srv.path("tftp/big"), &content).unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(
        1,
        "big",
        "octet",
        &[("blksize", "1428"), ("tsize", "0"), ("timeout", "2"), ("bogus", "1")],
    ));
    let (op, _, payload) = c.recv();
    assert_eq!(op, 6, "OACK");
    assert_eq!(
        oack_options(&payload),
        vec![("blksize".into(), "1428".into()), ("tsize".into(), "100000".into()), ("timeout".into(), "2".into())]
    );
    c.send(&ack(0));
    assert_eq!(c.read_all(1428, 1, None), content);
    // An invalid option is ignored: plain RFC 1350 transfer, no OACK.
    let mut c = Client::new(srv.addr);
    c.send_request(&request(1, "big", "octet", &[("blksize", "4")]));
    assert_eq!(c.read_all(512, 1, None), content);
}

#[test]
fn rfc7440_windowsize_sends_a_window_before_waiting() {
    let srv = tftp_server(&[]);
    let content = pattern(512 * 40 + 7, 2);
    std::fs::write(srv.path("tftp/w"), &content).unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(1, "w", "octet", &[("windowsize", "16")]));
    let (op, _, payload) = c.recv();
    assert_eq!((op, oack_options(&payload)), (6, vec![("windowsize".into(), "16".into())]));
    c.send(&ack(0));
    // 16 blocks arrive without any ACK.
    let mut first = Vec::new();
    for i in 1..=16u16 {
        let (op, block, p) = c.recv();
        assert_eq!((op, block), (3, i));
        first.extend(p);
    }
    // ACK block 10 only: the window restarts from 11 (RFC 7440 §4).
    c.send(&ack(10));
    let next = c.recv();
    assert_eq!((next.0, next.1), (3, 11));
    let mut rest = c.read_all_from(11, 512, 16, Some(next));
    let mut got = first[..512 * 10].to_vec();
    got.append(&mut rest);
    assert_eq!(got, content);
}

#[test]
fn block_numbers_roll_over_past_65535() {
    let srv = tftp_server(&[]);
    // 33 MiB at 512 bytes a block: 67,585 blocks, so the counter wraps once.
    let content = pattern(33 << 20, 3);
    std::fs::write(srv.path("tftp/huge"), &content).unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(1, "huge", "octet", &[]));
    let got = c.read_all(512, 1, None);
    assert!(got == content, "33 MiB byte-exact across the rollover");
}

#[test]
fn withheld_ack_causes_one_retransmission_and_duplicate_acks_none() {
    let srv = tftp_server(&[]);
    std::fs::write(srv.path("tftp/r"), pattern(2000, 4)).unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(1, "r", "octet", &[("timeout", "1")]));
    let (op, _, _) = c.recv();
    assert_eq!(op, 6);
    c.send(&ack(0));
    let first = c.recv();
    assert_eq!((first.0, first.1), (3, 1));
    // No ACK: after the timeout the same block comes again.
    let again = c.recv();
    assert_eq!((again.0, again.1, &again.2), (3, 1, &first.2));
    // Sorcerer's Apprentice: two ACKs for block 1 give one DATA 2, not two.
    c.send(&ack(1));
    c.send(&ack(1));
    let two = c.recv();
    assert_eq!((two.0, two.1), (3, 2));
    c.send(&ack(2));
    let three = c.recv();
    assert_eq!((three.0, three.1), (3, 3), "the duplicate ACK produced no second DATA 2");
    c.send(&ack(3));
    let four = c.recv();
    assert_eq!((four.0, four.1), (3, 4));
    c.send(&ack(4));
}

#[test]
fn wrong_tid_gets_error_5_and_transfer_continues() {
    let srv = tftp_server(&[]);
    let content = pattern(3000, 5);
    std::fs::write(srv.path("tftp/t"), &content).unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(1, "t", "octet", &[]));
    let first = c.recv();
    let intruder = UdpSocket::bind("127.0.0.1:0").unwrap();
    intruder.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    intruder.send_to(&ack(1), c.tid.unwrap()).unwrap();
    let mut buf = [0u8; 600];
    let (n, _) = intruder.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..4], &[0, 5, 0, 5], "ERROR 5 unknown TID: {:?}", &buf[..n]);
    assert_eq!(c.read_all(512, 1, Some(first)), content);
}

#[test]
fn oack_refused_with_error_8_ends_the_transfer() {
    let srv = tftp_server(&[]);
    std::fs::write(srv.path("tftp/o"), "x").unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(1, "o", "octet", &[("blksize", "1024")]));
    assert_eq!(c.recv().0, 6);
    let mut err = vec![0, 5, 0, 8];
    err.extend_from_slice(b"no thanks\0");
    c.send(&err);
    srv.wait_log("result=client-error 8");
    // RFC 2347: the transfer is over; no DATA follows, even after a timeout (1 s).
    c.sock.set_read_timeout(Some(Duration::from_millis(2500))).unwrap();
    let mut buf = [0u8; 1024];
    assert!(c.sock.recv_from(&mut buf).is_err(), "a packet came after ERROR 8: {:?}", &buf[..4]);
}

#[test]
fn malformed_requests_get_error_4() {
    let srv = tftp_server(&[]);
    for bad in [&b"\x00\x01noterminator"[..], b"\x00\x01f\x00mail\x00", b"\x00\x02\x00octet\x00"] {
        let mut c = Client::new(srv.addr);
        c.send_request(bad);
        let (op, code, _) = c.recv();
        assert_eq!((op, code), (5, 4), "{bad:?}");
    }
    // Still serving.
    std::fs::write(srv.path("tftp/ok"), "ok").unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(1, "ok", "octet", &[]));
    assert_eq!(c.read_all(512, 1, None), b"ok");
}

#[test]
fn paths_stay_inside_tftp_root() {
    let srv = tftp_server(&[]);
    std::fs::create_dir_all(srv.path("tftp/etc")).unwrap();
    std::fs::write(srv.path("tftp/etc/passwd"), "DECOY").unwrap();
    std::fs::write(srv.path("secret"), "SECRET").unwrap();
    std::os::unix::fs::symlink(srv.path("secret"), srv.path("tftp/link")).unwrap();
    for (name, want) in [
        ("../../../../etc/passwd", Some(&b"DECOY"[..])),
        ("/etc/passwd", Some(b"DECOY")),
        ("../secret", None),
        ("link", None),
        ("missing", None),
    ] {
        let mut c = Client::new(srv.addr);
        c.send_request(&request(1, name, "octet", &[]));
        match want {
            Some(w) => assert_eq!(c.read_all(512, 1, None), w, "{name}"),
            None => assert_eq!(c.recv().0, 5, "{name} must fail"),
        }
    }
}

#[test]
fn netascii_both_ways() {
    let srv = tftp_server(&[("write_enable", "YES"), ("create_enable", "YES")]);
    std::fs::write(srv.path("tftp/t.txt"), "one\ntwo\rx\n").unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(1, "t.txt", "netascii", &[]));
    assert_eq!(c.read_all(512, 1, None), b"one\r\ntwo\r\0x\r\n");
    let mut c = Client::new(srv.addr);
    c.send_request(&request(2, "up.txt", "netascii", &[]));
    assert_eq!(c.recv().0, 4);
    c.send(&data(1, b"a\r\nb\r\0c"));
    assert_eq!(c.recv().1, 1);
    srv.wait_log("WRQ up.txt mode=netascii");
    assert_eq!(std::fs::read(srv.path("tftp/up.txt")).unwrap(), b"a\nb\rc");
}

#[test]
fn writes_are_off_by_default_and_switched_by_create_and_overwrite() {
    let srv = tftp_server(&[]);
    let mut c = Client::new(srv.addr);
    c.send_request(&request(2, "new", "octet", &[]));
    let (op, code, _) = c.recv();
    assert_eq!((op, code), (5, 2), "ERROR 2: writing is disabled");
    let srv = tftp_server(&[("write_enable", "YES"), ("create_enable", "YES")]);
    std::fs::write(srv.path("tftp/old"), "old").unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(2, "old", "octet", &[]));
    assert_eq!(c.recv().1, 6, "exists, overwrite_enable=NO");
    let content = pattern(5000, 6);
    let mut c = Client::new(srv.addr);
    c.send_request(&request(2, "dir/../fresh", "octet", &[("blksize", "1000"), ("tsize", "5000")]));
    let (op, _, p) = c.recv();
    assert_eq!((op, oack_options(&p).len()), (6, 2));
    for (i, chunk) in content.chunks(1000).chain(std::iter::once(&[][..])).enumerate() {
        c.send(&data(i as u16 + 1, chunk));
        assert_eq!(c.recv(), (4, i as u16 + 1, vec![]));
    }
    srv.wait_log("WRQ dir/../fresh mode=octet bytes=5000");
    assert_eq!(std::fs::read(srv.path("tftp/fresh")).unwrap(), content);
}

#[test]
fn broken_upload_never_destroys_the_old_file() {
    let srv = tftp_server(&[("write_enable", "YES"), ("overwrite_enable", "YES"), ("timeout", "1"), ("retries", "1")]);
    std::fs::write(srv.path("tftp/firmware.bin"), "old firmware").unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(2, "firmware.bin", "octet", &[]));
    assert_eq!(c.recv().0, 4);
    c.send(&data(1, &[7u8; 512]));
    assert_eq!(c.recv().1, 1);
    // The client vanishes: the worker gives up after its retries.
    srv.wait_log("WRQ firmware.bin mode=octet bytes=0 blksize=512 windowsize=1");
    assert!(srv.wait_log("WRQ firmware.bin").contains("result=timeout"));
    assert_eq!(std::fs::read(srv.path("tftp/firmware.bin")).unwrap(), b"old firmware");
    assert_eq!(names(&srv.path("tftp")), vec!["firmware.bin"]);
}

#[test]
fn upload_larger_than_max_upload_is_refused() {
    let srv = tftp_server(&[("write_enable", "YES"), ("create_enable", "YES"), ("max_upload", "1000")]);
    let mut c = Client::new(srv.addr);
    c.send_request(&request(2, "big", "octet", &[("tsize", "5000")]));
    let (op, code, _) = c.recv();
    assert_eq!((op, code), (5, 3), "ERROR 3: announced tsize over max_upload");
}

#[test]
fn pool_full_gets_server_busy() {
    let srv = tftp_server(&[("max_transfers", "1"), ("timeout", "5")]);
    std::fs::write(srv.path("tftp/f"), pattern(5000, 7)).unwrap();
    let mut holder = Client::new(srv.addr);
    holder.send_request(&request(1, "f", "octet", &[]));
    assert_eq!(holder.recv().0, 3, "the one worker is busy now");
    let mut c = Client::new(srv.addr);
    c.send_request(&request(1, "f", "octet", &[]));
    let (op, code, msg) = c.recv();
    assert_eq!((op, code), (5, 0));
    assert!(String::from_utf8_lossy(&msg).starts_with("server busy"));
}

#[test]
fn fifty_concurrent_transfers_byte_exact() {
    // All from 127.0.0.1: the per-address limit is not what this tests.
    let srv = tftp_server(&[("max_per_ip", "0")]);
    let content = pattern(300_000, 8);
    std::fs::write(srv.path("tftp/c"), &content).unwrap();
    let addr = srv.addr;
    let handles: Vec<_> = (0..50)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = Client::new(addr);
                let blk = [512, 1428, 8192][i % 3];
                c.send_request(&request(1, "c", "octet", &[("blksize", &blk.to_string())]));
                let (op, _, _) = c.recv();
                assert_eq!(op, 6);
                c.send(&ack(0));
                c.read_all(blk, 1, None)
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap() == content);
    }
}

fn tftp_interop_file(srv: &TestServer) -> Vec<u8> {
    let content = pattern(700_000, 9);
    std::fs::write(srv.path("tftp/img.bin"), &content).unwrap();
    content
}

#[test]
fn tftp_hpa_get_put_binary_and_ascii() {
    if !have("tftp") {
        return;
    }
    let srv = tftp_server(&[("write_enable", "YES"), ("create_enable", "YES"), ("overwrite_enable", "YES")]);
    let content = tftp_interop_file(&srv);
    let local = TempDir::new("tftp-hpa");
    let port = srv.addr.port().to_string();
    let script = format!(
        "binary\nget img.bin {0}/a.bin\nput {0}/a.bin back.bin\nascii\nput {0}/t.txt t.txt\nget t.txt {0}/t2.txt\nquit\n",
        local.0.display()
    );
    std::fs::write(local.0.join("t.txt"), "x\ny\n").unwrap();
    let mut child = Command::new("tftp")
        .args(["127.0.0.1", &port])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(std::fs::read(local.0.join("a.bin")).unwrap(), content);
    assert_eq!(std::fs::read(srv.path("tftp/back.bin")).unwrap(), content);
    assert_eq!(std::fs::read(srv.path("tftp/t.txt")).unwrap(), b"x\ny\n");
    assert_eq!(std::fs::read(local.0.join("t2.txt")).unwrap(), b"x\ny\n");
    // tftp-hpa 5.2's client has no option support (no blksize): block sizes
    // are exercised with atftp and curl below.
    srv.wait_log("WRQ t.txt mode=netascii");
}

#[test]
fn atftp_with_blksize_and_windowsize() {
    if !have("atftp") {
        return;
    }
    let srv = tftp_server(&[("write_enable", "YES"), ("create_enable", "YES")]);
    let content = tftp_interop_file(&srv);
    let local = TempDir::new("atftp");
    let port = srv.addr.port().to_string();
    let got = local.0.join("got.bin");
    let atftp = |option: &str, transfer: &[&str]| {
        run(Command::new("atftp").args(["--option", option]).args(transfer).args(["127.0.0.1", &port]));
    };
    atftp("blksize 8192", &["--get", "-r", "img.bin", "-l", got.to_str().unwrap()]);
    assert_eq!(std::fs::read(&got).unwrap(), content);
    atftp("blksize 1428", &["--put", "-l", got.to_str().unwrap(), "-r", "up.bin"]);
    assert_eq!(std::fs::read(srv.path("tftp/up.bin")).unwrap(), content);
    // windowsize where this atftp knows it.
    let help = Command::new("atftp").arg("--help").output().unwrap();
    if String::from_utf8_lossy(&help.stdout).contains("windowsize")
        || String::from_utf8_lossy(&help.stderr).contains("windowsize")
    {
        let got2 = local.0.join("got2.bin");
        atftp("windowsize 8", &["--get", "-r", "img.bin", "-l", got2.to_str().unwrap()]);
        assert_eq!(std::fs::read(&got2).unwrap(), content);
    }
}

#[test]
fn curl_tftp_get_and_put() {
    if !have("curl") {
        return;
    }
    let srv = tftp_server(&[("write_enable", "YES"), ("create_enable", "YES")]);
    let content = tftp_interop_file(&srv);
    let url = format!("tftp://127.0.0.1:{}/img.bin", srv.addr.port());
    for blk in ["512", "8192", "65464"] {
        let out = Command::new("curl")
            .args(["-sS", "--fail", "--max-time", "60", "--tftp-blksize", blk, &url])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout == content, "blksize {blk}");
    }
    let local = TempDir::new("curl-tftp");
    std::fs::write(local.0.join("up.bin"), &content).unwrap();
    run(Command::new("curl").args([
        "-sS",
        "--fail",
        "--max-time",
        "60",
        "-T",
        local.0.join("up.bin").to_str().unwrap(),
        &format!("tftp://127.0.0.1:{}/curl-up.bin", srv.addr.port()),
    ]));
    assert_eq!(std::fs::read(srv.path("tftp/curl-up.bin")).unwrap(), content);
}

/// rtftpd under systemd-socket-activate (datagram), fetched with curl.
fn tftp_through_socket_activate(activate_args: &[&str], rtftpd_args: &[&str]) {
    let root = TempDir::new("tftp-sa");
    let content = pattern(50_000, 10);
    std::fs::write(root.0.join("boot.img"), &content).unwrap();
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new("systemd-socket-activate")
        .args(["-d", "-l", &listen])
        .args(activate_args)
        .args([env!("CARGO_BIN_EXE_rtftpd"), "-c", "/dev/null", "-o", "log_file=", "-o", "tftp_username="])
        .args(rtftpd_args)
        .arg("-o")
        .arg(format!("tftp_root={}", root.0.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // systemd-socket-activate binds before anything runs; curl retransmits its request.
    let mut got = None;
    for _ in 0..10 {
        let out = Command::new("curl")
            .args(["-sS", "--fail", "--max-time", "10", &format!("tftp://{listen}/boot.img")])
            .output()
            .unwrap();
        if out.status.success() {
            got = Some(out.stdout);
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        got.as_deref() == Some(&content[..]),
        "no byte-exact download through systemd-socket-activate {activate_args:?}"
    );
}

#[test]
fn rtftpd_socket_activation_and_inetd_wait_mode() {
    if have("systemd-socket-activate") && have("curl") {
        tftp_through_socket_activate(&[], &[]);
        tftp_through_socket_activate(&["--inetd"], &["--inetd"]);
    }
}

#[test]
fn sigterm_lets_a_running_tftp_transfer_finish() {
    let mut srv = tftp_server(&[]);
    let content = pattern(200_000, 11);
    std::fs::write(srv.path("tftp/f"), &content).unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(1, "f", "octet", &[]));
    let first = c.recv();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(srv.pid() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    srv.wait_log("shutting down: 1 transfer(s) running");
    assert!(c.read_all(512, 1, Some(first)) == content, "the running transfer completed byte-exact");
    assert_eq!(srv.wait_exit().code(), Some(0));
}

/// Nothing but a request is answered on the request port, and no ERROR is
/// ever answered anywhere (CVE-2024-2169: two servers answering each
/// other's errors loop forever).
#[test]
fn error_packets_and_strays_are_never_answered() {
    let srv = tftp_server(&[]);
    let quiet = |sock: &UdpSocket, what: &str| {
        sock.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
        let mut buf = [0u8; 600];
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            panic!("{what} was answered: {:?}", &buf[..n]);
        }
    };
    let stray = UdpSocket::bind("127.0.0.1:0").unwrap();
    for packet in [&b"\x00\x05\x00\x04oops\x00"[..], &ack(1), &data(1, b"x"), b"\x00\x07x", b"\x00"] {
        stray.send_to(packet, srv.addr).unwrap();
    }
    quiet(&stray, "a stray packet on the request port");
    // During a transfer, an ERROR from a wrong TID gets nothing either; an ACK would get ERROR 5.
    let content = pattern(3000, 9);
    std::fs::write(srv.path("tftp/t"), &content).unwrap();
    let mut c = Client::new(srv.addr);
    c.send_request(&request(1, "t", "octet", &[]));
    let first = c.recv();
    stray.send_to(b"\x00\x05\x00\x05who?\x00", c.tid.unwrap()).unwrap();
    quiet(&stray, "an ERROR from a wrong TID");
    assert_eq!(c.read_all(512, 1, Some(first)), content);
}

/// A WRQ for a name no file system can hold is refused at once, not after
/// the client has sent data.
#[test]
fn wrq_with_an_impossible_name_is_refused_before_any_ack() {
    let srv = tftp_server(&[("write_enable", "YES"), ("create_enable", "YES")]);
    for len in [300, 64_900] {
        let mut c = Client::new(srv.addr);
        c.send_request(&request(2, &"n".repeat(len), "octet", &[]));
        let (op, code, text) = c.recv();
        assert_eq!((op, code), (5, 0), "{len}-byte name: opcode {op}");
        assert!(String::from_utf8_lossy(&text).starts_with("File name too long"));
    }
}

/// Clients are told the RFC's texts; the OS's words stay in the log.
#[test]
fn error_texts_are_the_rfcs() {
    let srv = tftp_server(&[]);
    std::fs::write(srv.path("tftp/secret"), "s").unwrap();
    std::fs::create_dir(srv.path("tftp/dir")).unwrap();
    for (name, code, text) in [("missing", 1, "File not found\0"), ("dir/../../x", 1, "File not found\0")] {
        let mut c = Client::new(srv.addr);
        c.send_request(&request(1, name, "octet", &[]));
        let (op, got, payload) = c.recv();
        assert_eq!((op, got, String::from_utf8_lossy(&payload).into_owned()), (5, code, text.to_string()), "{name}");
    }
    srv.wait_log("No such file or directory");
}

/// Started as root, rtftpd becomes tftp_username with no capabilities and
/// no_new_privs, and serves only world-readable files unless told otherwise.
#[test]
fn rtftpd_drops_root_and_serves_only_world_readable_files() {
    if !root_or_skip() {
        return;
    }
    let home = TempDir::new("tftphome");
    let account = SystemUser::new("t", &home.0.join("h"));
    for world_readable_only in ["YES", "NO"] {
        let srv = tftp_server(&[("tftp_username", &account.name), ("world_readable_only", world_readable_only)]);
        let status = std::fs::read_to_string(format!("/proc/{}/status", srv.pid())).unwrap();
        let field = |name: &str| {
            status.lines().find_map(|l| l.strip_prefix(name)).unwrap_or_else(|| panic!("{status}")).trim().to_owned()
        };
        let uid = account.uid.to_string();
        assert_eq!(field("Uid:").split_whitespace().collect::<Vec<_>>(), [uid.as_str(); 4]);
        assert_eq!(field("CapEff:"), "0000000000000000");
        assert_eq!(field("CapPrm:"), "0000000000000000");
        assert_eq!(field("NoNewPrivs:"), "1");
        use std::os::unix::fs::{PermissionsExt, chown};
        let file = |name: &str, mode: u32, owner: u32| {
            let path = srv.path(&format!("tftp/{name}"));
            std::fs::write(&path, name).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            chown(&path, Some(owner), None).unwrap();
        };
        file("public", 0o644, 0);
        file("roots", 0o600, 0);
        file("mine", 0o600, account.uid);
        let get = |name: &str| {
            let mut c = Client::new(srv.addr);
            c.send_request(&request(1, name, "octet", &[]));
            match c.recv() {
                (3, 1, payload) => Ok(payload),
                (op, code, _) => Err((op, code)),
            }
        };
        assert_eq!(get("public"), Ok(b"public".to_vec()));
        assert_eq!(get("roots"), Err((5, 2)), "root's 0600 file, world_readable_only={world_readable_only}");
        let mine = get("mine");
        if world_readable_only == "YES" {
            assert_eq!(mine, Err((5, 2)), "not world-readable");
        } else {
            assert_eq!(mine, Ok(b"mine".to_vec()));
        }
    }
}

/// Requests from silent (possibly spoofed) sources: the first packet goes
/// out at most three times with the server's own timeout, whatever timeout
/// they ask for, so they cannot hold the workers; and one address gets at
/// most max_per_ip transfers.
#[test]
fn silent_sources_get_three_packets_and_cannot_hold_every_worker() {
    let srv = tftp_server(&[("max_transfers", "6"), ("max_per_ip", "0")]);
    std::fs::write(srv.path("tftp/f"), pattern(5000, 3)).unwrap();
    let silent: Vec<(UdpSocket, bool)> = (0..12)
        .map(|i| {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            let with_options = i % 2 == 0;
            let opts: &[(&str, &str)] = if with_options { &[("timeout", "255"), ("blksize", "1400")] } else { &[] };
            s.send_to(&request(1, "f", "octet", opts), srv.addr).unwrap();
            (s, with_options)
        })
        .collect();
    // A legitimate client is served while the silent ones wait for nothing.
    let mut served = false;
    for _ in 0..40 {
        let mut c = Client::new(srv.addr);
        c.send_request(&request(1, "f", "octet", &[]));
        match c.recv() {
            (3, 1, first) => {
                assert_eq!(c.read_all(512, 1, Some((3, 1, first))).len(), 5000);
                served = true;
                break;
            }
            (5, 0, _) => std::thread::sleep(Duration::from_millis(500)),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(served, "the silent requests held every worker");
    for (s, with_options) in &silent {
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 2000];
        let mut got = 0;
        while let Ok((_, _)) = s.recv_from(&mut buf) {
            got += 1;
            // The first packet: an OACK without the timeout asked for, or
            // DATA 1 (or "server busy" when all six workers were taken).
            if buf[1] == 5 {
                assert_eq!(&buf[..4], &[0, 5, 0, 0]);
            } else if *with_options {
                assert_eq!(&buf[..2], &[0, 6]);
                assert!(!buf.windows(7).any(|w| w == b"timeout"), "timeout=255 was acknowledged");
            } else {
                assert_eq!(&buf[..4], &[0, 3, 0, 1]);
            }
        }
        assert!(got <= 3, "{got} packets to a source that never answered");
    }
}

#[test]
fn max_per_ip_bounds_the_transfers_of_one_address() {
    let srv = tftp_server(&[("max_per_ip", "2"), ("timeout", "3")]);
    std::fs::write(srv.path("tftp/f"), "x".repeat(2000)).unwrap();
    let held: Vec<Client> = (0..2)
        .map(|_| {
            let mut c = Client::new(srv.addr);
            c.send_request(&request(1, "f", "octet", &[]));
            assert_eq!(c.recv().0, 3);
            c
        })
        .collect();
    let mut third = Client::new(srv.addr);
    third.send_request(&request(1, "f", "octet", &[]));
    let (op, code, text) = third.recv();
    assert_eq!((op, code), (5, 0));
    assert!(String::from_utf8_lossy(&text).contains("too many transfers"));
    // Another address is served meanwhile.
    let other = UdpSocket::bind("127.0.0.2:0").unwrap();
    other.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut c = Client { sock: other, server: srv.addr, tid: None };
    c.send_request(&request(1, "f", "octet", &[]));
    assert_eq!(c.read_all(512, 1, None).len(), 2000);
    drop(held);
}
