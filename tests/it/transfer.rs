//! RETR/STOR/APPE/STOU, TYPE A both ways, REST both ways, ABOR and STAT
//! during a transfer, uploads that never destroy the old file, xferlog.

use crate::support::*;
use std::io::{Read, Write};
use std::time::Duration;

#[test]
fn binary_round_trip_both_directions() {
    let srv = TestServer::start(&[]);
    let content = pattern(3 << 20, 1);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.upload("STOR big.bin", &content).lines[0], "226 Transfer complete.");
    assert_eq!(std::fs::read(srv.path("home/alice/big.bin")).unwrap(), content);
    assert_eq!(c.cmd("SIZE big.bin").lines[0], format!("213 {}", content.len()));
    assert_eq!(c.retr("big.bin"), content);
    srv.wait_log("RETR /big.bin bytes=3145728");
}

#[test]
fn type_a_converts_both_ways() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE A").code, 200);
    assert_eq!(c.upload("STOR t.txt", b"one\r\ntwo\r\nbare\rcr\r\n").code, 226);
    assert_eq!(std::fs::read(srv.path("home/alice/t.txt")).unwrap(), b"one\ntwo\nbare\rcr\n");
    assert_eq!(c.retr("t.txt"), b"one\r\ntwo\r\nbare\rcr\r\n");
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.retr("t.txt"), b"one\ntwo\nbare\rcr\n");
}

#[test]
fn rest_for_retr_and_stor() {
    let srv = TestServer::start(&[]);
    let content = pattern(100_000, 2);
    std::fs::write(srv.path("home/alice/r.bin"), &content).unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.cmd("REST 40000").lines[0], "350 Restart position accepted (40000).");
    assert_eq!(c.retr("r.bin"), &content[40_000..]);
    // Resume an upload: the first 30000 bytes are there, send the rest.
    std::fs::write(srv.path("home/alice/up.bin"), &content[..30_000]).unwrap();
    assert_eq!(c.cmd("REST 30000").code, 350);
    assert_eq!(c.upload("STOR up.bin", &content[30_000..]).code, 226);
    assert_eq!(std::fs::read(srv.path("home/alice/up.bin")).unwrap(), content);
    // An offset inside a longer file: it is cut there and continued.
    std::fs::write(srv.path("home/alice/cut.bin"), [&content[..30_000], &b"stale tail"[..]].concat()).unwrap();
    assert_eq!(c.cmd("REST 30000").code, 350);
    assert_eq!(c.upload("STOR cut.bin", &content[30_000..]).code, 226);
    assert_eq!(std::fs::read(srv.path("home/alice/cut.bin")).unwrap(), content);
    // An upload offset past the end of the file: 554, the file untouched.
    assert_eq!(c.cmd("REST 200000").code, 350);
    let _data = c.epsv();
    assert_eq!(c.cmd("STOR cut.bin").code, 554);
    assert_eq!(std::fs::read(srv.path("home/alice/cut.bin")).unwrap(), content);
    // A file that cannot be continued for another reason says why, not 554.
    std::fs::create_dir(srv.path("home/alice/adir")).unwrap();
    assert_eq!(c.cmd("REST 10").code, 350);
    let _data = c.epsv();
    assert_eq!(c.cmd("STOR adir").code, 550);
    // RFC 3659 §5.4: past the end → 554.
    assert_eq!(c.cmd("REST 999999").code, 350);
    let _data = c.epsv();
    assert_eq!(c.cmd("RETR r.bin").code, 554);
    assert_eq!(c.cmd("REST 10").code, 350);
    assert_eq!(c.cmd("NOOP").code, 200);
    assert_eq!(c.retr("r.bin"), &content[10..], "NOOP between REST and RETR keeps the offset");
    assert_eq!(c.retr("r.bin"), content, "the transfer used the offset up");
}

#[test]
fn appe_and_stou() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.upload("APPE log.txt", b"first\n").code, 226);
    assert_eq!(c.upload("APPE log.txt", b"second\n").code, 226);
    assert_eq!(std::fs::read(srv.path("home/alice/log.txt")).unwrap(), b"first\nsecond\n");
    let mut data = c.epsv();
    let r = c.cmd("STOU log.txt");
    assert_eq!(r.lines[0], "150 FILE: log.txt.1");
    data.write_all(b"unique").unwrap();
    drop(data);
    assert_eq!(c.reply().code, 226);
    assert_eq!(std::fs::read(srv.path("home/alice/log.txt.1")).unwrap(), b"unique");
    assert_eq!(std::fs::read(srv.path("home/alice/log.txt")).unwrap(), b"first\nsecond\n");
}

#[test]
fn abor_mid_retr_gives_426_then_226() {
    let srv = TestServer::start(&[]);
    srv.big_file();
    let mut c = srv.alice();
    let _data = c.start_big_retr();
    c.send("ABOR");
    assert_eq!(c.reply().code, 426);
    assert_eq!(c.reply().lines[0], "226 ABOR successful.");
    assert_eq!(c.cmd("NOOP").code, 200);
    srv.wait_log("RETR /huge.bin");
    assert!(srv.wait_log("RETR /huge.bin").contains("result=aborted"));
    assert!(srv.path("home/alice/huge.bin").exists(), "an aborted download leaves the file alone");
}

#[test]
fn abor_after_telnet_ip_and_urgent_synch() {
    use nix::sys::socket::{MsgFlags, send};
    let srv = TestServer::start(&[]);
    srv.big_file();
    let mut c = srv.alice();
    let _data = c.start_big_retr();
    // RFC 959 §4.1.3: IAC IP, then IAC DM sent as urgent data (Synch), then ABOR.
    c.send_bytes(b"\xff\xf4");
    send(std::os::fd::AsRawFd::as_raw_fd(&c.stream), b"\xff", MsgFlags::MSG_OOB).unwrap();
    c.send_bytes(b"\xf2ABOR\r\n");
    assert_eq!(c.reply().code, 426);
    assert_eq!(c.reply().code, 226);
    assert_eq!(c.cmd("PWD").code, 257);
}

#[test]
fn stat_and_noop_during_transfer() {
    let srv = TestServer::start(&[]);
    let content = srv.big_file();
    let mut c = srv.alice();
    let mut data = c.start_big_retr();
    assert_eq!(c.cmd("NOOP").code, 200);
    let r = c.cmd("STAT");
    assert_eq!(r.code, 211);
    assert!(r.text().contains("RETR /huge.bin"), "{r:?}");
    assert!(r.text().contains("bytes transferred so far"), "{r:?}");
    assert_eq!(r.lines.last().unwrap(), "211 End of status");
    let mut rest = Vec::new();
    data.read_to_end(&mut rest).unwrap();
    assert_eq!(rest.len() + 65_536, content.len());
    assert_eq!(&rest[..], &content[65_536..]);
    assert_eq!(c.reply().code, 226);
}

/// Starts `STOR keep.txt` over a file holding "old content" and sends `len` bytes.
fn start_overwrite(srv: &TestServer, len: usize) -> (FtpClient, std::net::TcpStream) {
    std::fs::write(srv.path("home/alice/keep.txt"), "old content").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    let mut data = c.epsv();
    assert_eq!(c.cmd("STOR keep.txt").code, 150);
    data.write_all(&pattern(len, len as u32)).unwrap();
    (c, data)
}

/// The interrupted upload left the old file as it was and no temporary file.
fn assert_old_file_kept(srv: &TestServer) {
    assert_eq!(std::fs::read(srv.path("home/alice/keep.txt")).unwrap(), b"old content");
    assert_eq!(names(&srv.path("home/alice")), vec!["keep.txt"], "no temporary file left");
}

#[test]
fn aborted_upload_keeps_the_old_file() {
    let srv = TestServer::start(&[]);
    let (mut c, _data) = start_overwrite(&srv, 200_000);
    std::thread::sleep(Duration::from_millis(100));
    c.send("ABOR");
    assert_eq!(c.reply().code, 426);
    assert_eq!(c.reply().code, 226);
    assert_old_file_kept(&srv);
}

#[test]
fn reset_upload_keeps_the_old_file() {
    let srv = TestServer::start(&[]);
    let (mut c, data) = start_overwrite(&srv, 100_000);
    // Linger 0: close sends RST, the way a crashed client or a cut cable ends.
    nix::sys::socket::setsockopt(&data, nix::sys::socket::sockopt::Linger, &libc::linger { l_onoff: 1, l_linger: 0 })
        .unwrap();
    drop(data);
    assert_eq!(c.reply().code, 426);
    assert_old_file_kept(&srv);
}

#[test]
fn lost_control_connection_discards_the_upload() {
    let srv = TestServer::start(&[]);
    let (c, data) = start_overwrite(&srv, 1000);
    drop(c);
    srv.wait_log("STOR /keep.txt");
    drop(data);
    assert_old_file_kept(&srv);
}

#[test]
fn overwrite_replaces_atomically() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/f.txt"), "old").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.upload("STOR f.txt", b"new\r\n").code, 226);
    assert_eq!(std::fs::read(srv.path("home/alice/f.txt")).unwrap(), b"new\n");
    assert_eq!(names(&srv.path("home/alice")), vec!["f.txt"]);
}

#[test]
fn retr_errors_and_no_data_connection() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("RETR missing").code, 550);
    assert_eq!(c.cmd("MKD d").code, 257);
    assert_eq!(c.cmd("RETR d").code, 550);
    std::fs::write(srv.path("home/alice/f"), "x").unwrap();
    assert_eq!(c.cmd("RETR f").lines[0], "425 Use PORT or PASV first.");
}

#[test]
fn xferlog_records_complete_and_aborted_transfers() {
    let dir = TempDir::new("xferlog");
    let log = dir.0.join("xferlog");
    let srv = TestServer::start(&[("xferlog_enable", "YES"), ("xferlog_file", log.to_str().unwrap())]);
    srv.big_file();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.upload("STOR in.bin", b"12345").code, 226);
    let _ = c.retr("in.bin");
    let _data = c.start_big_retr();
    c.send("ABOR");
    assert_eq!(c.reply().code, 426);
    assert_eq!(c.reply().code, 226);
    let mut anon = srv.login("anonymous", "guest@example.org");
    let _ = anon.retr("readme.txt");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(lines.len(), 4, "{text}");
    for f in &lines {
        assert_eq!(f.len(), 18, "{f:?}");
        assert_eq!(f[6], "127.0.0.1");
        assert_eq!((f[10], f[14], f[15], f[16]), ("_", "ftp", "0", "*"));
    }
    let stor = &lines[0];
    assert_eq!((stor[7], stor[9], stor[11], stor[12], stor[13], stor[17]), ("5", "b", "i", "g", "alice", "c"));
    assert!(stor[8].ends_with("/home/alice/in.bin"));
    assert_eq!((lines[1][11], lines[1][17]), ("o", "c"));
    let aborted = &lines[2];
    assert_eq!(aborted[17], "i", "aborted RETR is incomplete");
    assert!(aborted[8].ends_with("huge.bin"));
    let anon = &lines[3];
    assert_eq!((anon[9], anon[12], anon[13], anon[7]), ("a", "a", "guest@example.org", "17"));
}

/// Names of the server's transfer threads (`xfer-SESSION`).
fn transfer_threads(srv: &TestServer) -> Vec<String> {
    let tasks = std::fs::read_dir(format!("/proc/{}/task", srv.pid())).unwrap();
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|c| c.trim().to_string())
        .filter(|c| c.starts_with("xfer-"))
        .collect()
}

/// A session's transfers share one helper thread, which ends once the
/// session has been without a transfer for a while (5 s) and is started
/// again by the next transfer; ABOR and uploads work in a reused thread.
#[test]
fn transfers_share_one_helper_thread_that_ends_when_idle() {
    let srv = TestServer::start(&[]);
    let content = pattern(100_000, 7);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert!(transfer_threads(&srv).is_empty());
    for i in 0..5 {
        assert_eq!(c.upload(&format!("STOR f{i}.bin"), &content).code, 226);
        assert_eq!(c.retr(&format!("f{i}.bin")), content);
        assert!(c.listing("NLST").lines().any(|l| l == format!("f{i}.bin")));
        assert_eq!(transfer_threads(&srv).len(), 1, "after transfer {i}: {:?}", transfer_threads(&srv));
    }
    srv.big_file();
    let _data = c.start_big_retr();
    c.send("ABOR");
    assert_eq!(c.reply().code, 426);
    assert_eq!(c.reply().lines[0], "226 ABOR successful.");
    assert_eq!(c.retr("f0.bin"), content);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !transfer_threads(&srv).is_empty() {
        assert!(std::time::Instant::now() < deadline, "the helper thread never ended");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(c.retr("f1.bin"), content);
    assert_eq!(c.upload("STOR f5.bin", &content).code, 226);
    assert_eq!(std::fs::read(srv.path("home/alice/f5.bin")).unwrap(), content);
    assert_eq!(transfer_threads(&srv).len(), 1);
}

/// A small download (a binary file of at most 64 KiB, or a listing that
/// size) goes out from the session's own thread when the socket takes all
/// of it at once, so no transfer thread is started for it; it is logged and
/// answered like any other. (What the socket does not take goes on in the
/// transfer thread: `helper::tests`.)
#[test]
fn small_downloads_go_out_from_the_session_thread() {
    let srv = TestServer::start(&[]);
    let small = pattern(4096, 3);
    let edge = pattern(64 * 1024, 5);
    std::fs::write(srv.path("home/alice/small.bin"), &small).unwrap();
    std::fs::write(srv.path("home/alice/edge.bin"), &edge).unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    for _ in 0..3 {
        assert_eq!(c.retr("small.bin"), small);
    }
    assert_eq!(c.retr("edge.bin"), edge);
    assert!(c.listing("NLST").lines().any(|l| l == "small.bin"));
    assert!(transfer_threads(&srv).is_empty(), "{:?}", transfer_threads(&srv));
    srv.wait_log("RETR /edge.bin bytes=65536 ms=");
    assert_eq!(srv.log_count("RETR /small.bin bytes=4096 ms="), 3);
    let bigger = pattern(64 * 1024 + 1, 9);
    std::fs::write(srv.path("home/alice/bigger.bin"), &bigger).unwrap();
    assert_eq!(c.retr("bigger.bin"), bigger);
    assert_eq!(transfer_threads(&srv).len(), 1, "more than 64 KiB goes to the transfer thread");
}

/// An APPE whose client stalls keeps every byte that arrived before the
/// data connection timed out, so the client can resume from there.
#[test]
fn a_stalled_append_keeps_what_arrived() {
    let srv = TestServer::start(&[("data_connection_timeout", "1")]);
    std::fs::write(srv.path("home/alice/log.txt"), b"start\n").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    let mut data = c.epsv();
    assert_eq!(c.cmd("APPE log.txt").code, 150);
    data.write_all(b"more that arrived\n").unwrap();
    assert_eq!(c.reply().code, 426, "the stalled data connection times out");
    drop(data);
    assert_eq!(std::fs::read(srv.path("home/alice/log.txt")).unwrap(), b"start\nmore that arrived\n");
    assert_eq!(c.cmd("SIZE log.txt").lines[0], "213 24");
}

/// RETR's 150 names the mode and the file's size in vsftpd's words.
#[test]
fn retr_announces_its_mode_and_size() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/f"), "a\nb\n").unwrap();
    let mut c = srv.alice();
    for (ty, word) in [("TYPE A", "ASCII"), ("TYPE I", "BINARY")] {
        assert_eq!(c.cmd(ty).code, 200);
        let mut data = c.epsv();
        assert_eq!(c.cmd("RETR f").lines[0], format!("150 Opening {word} mode data connection for f (4 bytes)."));
        let mut buf = Vec::new();
        data.read_to_end(&mut buf).unwrap();
        assert_eq!(c.reply().code, 226);
    }
}
