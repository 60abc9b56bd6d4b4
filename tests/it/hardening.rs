//! The defences an attack run found missing (SECURITY.md describes each):
//! one test per property, against the real binaries.

use crate::support::*;
use std::io::Write;

/// An IAC sequence must not consume a line end: `DE IAC WILL LF LE x`
/// is two bad commands, not `DELE x` (a line-based proxy sees two lines).
#[test]
fn telnet_iac_never_swallows_a_line_end() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/smuggle_me.txt"), "keep").unwrap();
    let mut c = srv.alice();
    c.send_bytes(b"DE\xff\xfb\nLE smuggle_me.txt\r\n");
    assert_eq!(c.reply().code, 500);
    assert_eq!(c.reply().code, 500);
    assert_eq!(c.cmd("NOOP").code, 200);
    assert!(srv.path("home/alice/smuggle_me.txt").exists());
}

/// A server with `carol`, who may upload and rename but not delete,
/// overwrite or remove directories, and `dave`, who may do everything.
fn carol_server() -> (TestServer, TempDir) {
    let dir = TempDir::new("carol");
    let home = dir.0.join("carol");
    std::fs::create_dir_all(home.join("keepdir")).unwrap();
    std::fs::write(home.join("keepdir/inside"), "kept").unwrap();
    std::fs::write(home.join("important.txt"), "important").unwrap();
    let users = dir.0.join("users");
    let dave = dir.0.join("dave");
    std::fs::create_dir_all(&dave).unwrap();
    let lines = format!(
        "carol:{SECRET_HASH}:{}:rw,-delete,-overwrite,-rmdir\ndave:{SECRET_HASH}:{}:rw\n",
        home.display(),
        dave.display()
    );
    std::fs::write(&users, lines).unwrap();
    let srv = TestServer::start(&[("user_file", users.to_str().unwrap())]);
    (srv, dir)
}

/// RNTO over an existing name needs the rights destroying it would need.
#[test]
fn rnto_cannot_replace_what_the_user_may_not_destroy() {
    let (srv, dir) = carol_server();
    let home = dir.0.join("carol");
    let mut c = srv.login("carol", "secret");
    assert_eq!(c.cmd("DELE important.txt").code, 550);
    assert_eq!(c.upload("STOR junk", b"junk").code, 226);
    assert_eq!(c.cmd("RNFR junk").code, 350);
    assert_eq!(c.cmd("RNTO important.txt").code, 550, "a file replaced without the overwrite right");
    assert_eq!(std::fs::read_to_string(home.join("important.txt")).unwrap(), "important");
    assert_eq!(c.cmd("MKD e").code, 257);
    assert_eq!(c.cmd("RMD keepdir").code, 550);
    std::fs::remove_file(home.join("keepdir/inside")).unwrap(); // an empty directory can be renamed over
    assert_eq!(c.cmd("RNFR e").code, 350);
    assert_eq!(c.cmd("RNTO keepdir").code, 550, "a directory replaced without delete and rmdir");
    assert!(home.join("e").is_dir() && home.join("keepdir").is_dir());
    // Renaming to a free name still works.
    assert_eq!(c.cmd("RNFR junk").code, 350);
    assert_eq!(c.cmd("RNTO fresh").code, 250);
    // dave (rw) may replace by rename.
    std::fs::write(dir.0.join("dave/a"), "a").unwrap();
    std::fs::write(dir.0.join("dave/b"), "b").unwrap();
    let mut d = srv.login("dave", "secret");
    assert_eq!(d.cmd("RNFR a").code, 350);
    assert_eq!(d.cmd("RNTO b").code, 250);
    assert_eq!(std::fs::read_to_string(dir.0.join("dave/b")).unwrap(), "a");
}

/// Which right an RNTO over an existing name needs depends on what is
/// moved: `overwrite` for a file, `delete` and `rmdir` for a directory,
/// and neither stands in for the other.
#[test]
fn rnto_needs_the_right_that_fits_what_it_replaces() {
    let dir = TempDir::new("rights");
    let (erin, frank, gina) = (dir.0.join("erin"), dir.0.join("frank"), dir.0.join("gina"));
    for home in [&erin, &frank, &gina] {
        for d in ["d1", "d2"] {
            std::fs::create_dir_all(home.join(d)).unwrap();
        }
        std::fs::write(home.join("f1"), "one").unwrap();
        std::fs::write(home.join("f2"), "two").unwrap();
    }
    let users = dir.0.join("users");
    let lines = format!(
        "erin:{SECRET_HASH}:{}:rw,-delete,-rmdir\nfrank:{SECRET_HASH}:{}:rw,-overwrite\ngina:{SECRET_HASH}:{}:rw,-rmdir\n",
        erin.display(),
        frank.display(),
        gina.display()
    );
    std::fs::write(&users, lines).unwrap();
    let srv = TestServer::start(&[("user_file", users.to_str().unwrap())]);
    let rename = |c: &mut FtpClient, from: &str, to: &str| {
        assert_eq!(c.cmd(&format!("RNFR {from}")).code, 350);
        c.cmd(&format!("RNTO {to}")).code
    };
    // erin may overwrite files but not remove directories.
    let mut e = srv.login("erin", "secret");
    assert_eq!(rename(&mut e, "d1", "d2"), 550, "a directory replaced without delete and rmdir");
    assert_eq!(rename(&mut e, "f1", "f2"), 250, "overwrite covers a file");
    assert!(erin.join("d1").is_dir() && !erin.join("f1").exists());
    // frank may remove directories but not overwrite files.
    let mut f = srv.login("frank", "secret");
    assert_eq!(rename(&mut f, "f1", "f2"), 550, "a file replaced without overwrite");
    assert_eq!(rename(&mut f, "d1", "d2"), 250, "delete and rmdir cover an empty directory");
    assert_eq!(std::fs::read_to_string(frank.join("f2")).unwrap(), "two");
    assert!(!frank.join("d1").exists() && frank.join("d2").is_dir());
    // gina may delete files but not remove directories: both rights are needed.
    let mut g = srv.login("gina", "secret");
    assert_eq!(rename(&mut g, "d1", "d2"), 550, "delete without rmdir");
    assert!(gina.join("d1").is_dir());
}

/// An upload by a user without the overwrite right never replaces a file
/// that appeared while its data was coming in.
#[test]
fn an_upload_never_replaces_a_file_that_appeared_meanwhile() {
    let (srv, dir) = carol_server();
    let home = dir.0.join("carol");
    let mut first = srv.login("carol", "secret");
    let mut data = first.epsv();
    assert_eq!(first.cmd("STOR x").code, 150);
    data.write_all(b"first").unwrap();
    let mut second = srv.login("carol", "secret");
    assert_eq!(second.upload("STOR x", b"second").code, 226);
    drop(data);
    assert_eq!(first.reply().code, 553, "the first upload must not replace x");
    assert_eq!(std::fs::read_to_string(home.join("x")).unwrap(), "second");
    let leftovers: Vec<_> = names(&home).into_iter().filter(|n| n.contains(".part")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// SIZE in TYPE A reads the file to count line ends: a session reads at
/// most 256 MiB for it in all, and asking again about an unchanged file
/// costs nothing.
#[test]
fn ascii_size_has_a_per_session_budget() {
    let srv = TestServer::start(&[]);
    const MIB: u64 = 1 << 20;
    for i in 0..18 {
        // Sparse: 15 MiB each without using the disk.
        std::fs::File::create(srv.path(&format!("home/alice/f{i}"))).unwrap().set_len(15 * MIB).unwrap();
    }
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE A").code, 200);
    for _ in 0..50 {
        assert_eq!(c.cmd("SIZE f0").lines[0], format!("213 {}", 15 * MIB));
    }
    for i in 1..17 {
        assert_eq!(c.cmd(&format!("SIZE f{i}")).code, 213, "f{i}");
    }
    assert_eq!(c.cmd("SIZE f17").code, 550, "past the session's budget");
    assert_eq!(c.cmd("SIZE f16").code, 213, "the last answer is remembered");
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.cmd("SIZE f17").code, 213, "TYPE I reads nothing");
}

/// A system account that is not jailed (chroot_local_user=NO) sees the
/// host's `/`, but nothing on procfs: `/proc/self` would be the daemon.
#[test]
fn proc_is_out_of_reach_of_unjailed_users() {
    if !root_or_skip() {
        return;
    }
    let home = TempDir::new("procuser");
    let user = SystemUser::new("p", &home.0.join("h"));
    let srv = TestServer::start(&[("local_enable", "YES"), ("chroot_local_user", "NO")]);
    let mut c = srv.login(&user.name, "secret");
    assert_eq!(c.cmd("SIZE /etc/passwd").code, 213, "the host's / is reachable");
    for cmd in ["CWD /proc", "CWD /proc/self/fd", "SIZE /proc/self/maps", "MDTM /proc/self/status", "MLST /proc/self"] {
        assert_eq!(c.cmd(cmd).code, 550, "{cmd}");
    }
    let _data = c.epsv();
    assert_eq!(c.cmd("RETR /proc/self/maps").code, 550);
    assert_eq!(c.cmd("NOOP").code, 200);
}

/// A server killed (-9) during an overwriting STOR leaves the old file as
/// it was and no temporary file behind.
#[test]
fn a_killed_upload_leaves_nothing_behind() {
    let mut srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/big.bin"), "old").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    let mut data = c.epsv();
    assert_eq!(c.cmd("STOR big.bin").code, 150);
    data.write_all(&pattern(4 << 20, 1)).unwrap();
    srv.kill();
    assert_eq!(std::fs::read_to_string(srv.path("home/alice/big.bin")).unwrap(), "old");
    assert_eq!(names(&srv.path("home/alice")), ["big.bin"]);
}

/// Failures count per address whatever other sessions do (a success
/// between guesses resets nothing), and a ban stops password checks on
/// the address's sessions that are already open.
#[test]
fn a_ban_holds_on_open_sessions_and_successes_do_not_reset_it() {
    let srv = TestServer::start(&[("ban_after", "3"), ("ban_seconds", "60")]);
    let mut guessers: Vec<FtpClient> = (0..4)
        .map(|_| {
            let mut c = srv.connect();
            assert_eq!(c.cmd("USER alice").code, 331);
            c
        })
        .collect();
    for guesser in &mut guessers[..3] {
        // A successful login between guesses does not clear the count.
        srv.alice();
        assert_eq!(guesser.cmd("PASS wrong").code, 530);
    }
    srv.wait_log("banned for 60s after 3 failed logins");
    // The fourth session was open before the ban: even the right password is not checked.
    let r = guessers[3].cmd("PASS secret");
    assert_eq!(r.code, 530, "{r:?}");
    assert!(guessers[3].closed());
    srv.wait_log("login refused: address banned");
    let mut late = FtpClient::raw(srv.addr);
    assert_eq!(late.reply().code, 421, "a new connection from the banned address");
}

/// Connections that never log in have their own budget, per address and
/// in all, so a few addresses cannot take every worker; a login gives the
/// place back.
#[test]
fn connections_not_logged_in_have_their_own_budget() {
    let srv = TestServer::start(&[("max_prelogin_per_ip", "3"), ("max_prelogin", "4")]);
    let mut idle: Vec<FtpClient> = (0..3).map(|_| srv.connect()).collect();
    let mut fourth = FtpClient::raw(srv.addr);
    assert_eq!(fourth.reply().code, 421, "a fourth idle connection from one address");
    // Another address still gets in, until the total is reached.
    let other = connect_from("127.0.0.2", srv.addr);
    let mut other = FtpClient::from_stream(other);
    assert_eq!(other.reply().code, 220);
    let mut over = FtpClient::from_stream(connect_from("127.0.0.3", srv.addr));
    assert_eq!(over.reply().code, 421, "past max_prelogin");
    // Logging in gives the place back.
    assert_eq!(idle[0].cmd("USER alice").code, 331);
    assert_eq!(idle[0].cmd("PASS secret").code, 230);
    let mut now = srv.connect();
    assert_eq!(now.cmd("NOOP").code, 200);
    drop(idle);
}

/// A flood of refused connections writes a bounded number of lines: the
/// rest are summed up in one.
#[test]
fn refusals_cannot_flood_the_log() {
    let srv = TestServer::start(&[("max_prelogin_per_ip", "1")]);
    let _held = srv.connect();
    for _ in 0..100 {
        let mut c = FtpClient::raw(srv.addr);
        assert_eq!(c.reply().code, 421);
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut c = FtpClient::raw(srv.addr);
    assert_eq!(c.reply().code, 421);
    srv.wait_log("more connection(s) without a line each");
    let lines = srv.log_count("refused: too many connections not logged in");
    assert!(lines < 100, "{lines} refusal lines for 101 refusals");
}

/// One address holds at most max_pasv_per_ip passive ports, so a few
/// addresses cannot take the whole range.
#[test]
fn passive_ports_are_bounded_per_address() {
    let srv = TestServer::start(&[("max_pasv_per_ip", "2")]);
    let mut sessions: Vec<FtpClient> = (0..3).map(|_| srv.alice()).collect();
    let r = sessions[0].cmd("EPSV");
    assert_eq!(r.code, 229, "{r:?} {}", srv.wait_log("passive"));
    assert_eq!(sessions[1].cmd("EPSV").code, 229);
    assert_eq!(sessions[1].cmd("EPSV").code, 229, "a session's new port replaces its old one");
    assert_eq!(sessions[2].cmd("EPSV").code, 425);
    let mut other = FtpClient::from_stream(connect_from("127.0.0.2", srv.addr));
    assert_eq!(other.reply().code, 220);
    assert_eq!(other.cmd("USER alice").code, 331);
    assert_eq!(other.cmd("PASS secret").code, 230);
    assert_eq!(other.cmd("EPSV").code, 229, "another address has its own share");
    drop(sessions.remove(0));
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(sessions[1].cmd("EPSV").code, 229, "a closed session gives its port back");
}

/// Strangers' connection attempts to a passive port are dropped by the
/// kernel before they take a place in its backlog: a thief cannot fill it.
#[test]
fn a_thief_cannot_fill_the_passive_backlog() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    let r = c.cmd("EPSV");
    let port: u16 = r.lines[0].split('|').nth(3).unwrap().parse().unwrap();
    let target: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    // A thief on 127.0.0.2 keeps connecting (non-blocking: a filtered SYN never completes).
    let thieves: Vec<std::net::TcpStream> = (0..50)
        .map(|_| {
            use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, socket};
            use std::os::fd::AsRawFd;
            let fd = socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_NONBLOCK, None).unwrap();
            bind(fd.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 2, 0)).unwrap();
            let _ = connect(fd.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, port));
            std::net::TcpStream::from(fd)
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    std::fs::write(srv.path("home/alice/f"), pattern(100_000, 4)).unwrap();
    let mut data = std::net::TcpStream::connect_timeout(&target, std::time::Duration::from_secs(5)).unwrap();
    assert_eq!(c.cmd("RETR f").code, 150);
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut data, &mut got).unwrap();
    assert_eq!(got.len(), 100_000);
    assert_eq!(c.reply().code, 226);
    drop(thieves);
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Listings that clients never read are bounded in all (451 beyond
/// max_listing_memory), and their memory goes back to the system once they
/// are gone.
#[test]
fn big_listings_are_bounded_and_their_memory_returns() {
    let srv = TestServer::start(&[("max_listing_memory", "24")]);
    let dir = srv.path("home/alice/many");
    std::fs::create_dir(&dir).unwrap();
    let long = "n".repeat(200);
    for i in 0..20_000 {
        std::fs::File::create(dir.join(format!("{long}{i:05}"))).unwrap();
    }
    let mut warm = srv.alice();
    assert_eq!(warm.listing("LIST many").lines().count(), 20_000);
    drop(warm);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before = rss_kib(srv.pid());
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..10 {
        let mut c = srv.alice();
        let data = c.epsv();
        let r = c.cmd("LIST many");
        match r.code {
            150 => held.push((c, data)),
            451 => refused += 1,
            other => panic!("LIST: {other} {r:?}"),
        }
    }
    let peak = rss_kib(srv.pid());
    // Each listing is about 5.4 MB: at most four fit in 24 MiB (fewer
    // are held when the socket buffers took one whole).
    assert!(held.len() <= 4 && refused >= 6, "{} held, {refused} refused, peak RSS {peak} KiB", held.len());
    drop(held);
    let mut after = rss_kib(srv.pid());
    for _ in 0..100 {
        if after < before + 8 * 1024 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        after = rss_kib(srv.pid());
    }
    assert!(after < before + 8 * 1024, "RSS {before} KiB before, {peak} KiB at the peak, {after} KiB after");
}

/// Anonymous users cannot loosen permissions: no SITE UMASK or CHMOD, so
/// an anonymous upload stays unreadable to the next stranger.
#[test]
fn anonymous_users_cannot_loosen_permissions() {
    let srv =
        TestServer::start(&[("anon_upload_enable", "YES"), ("anon_other_write_enable", "YES"), ("anon_umask", "077")]);
    let mut anon = srv.login("anonymous", "x");
    assert_eq!(anon.cmd("SITE UMASK 000").code, 550);
    assert_eq!(anon.upload("STOR drop", b"payload").code, 226);
    assert_eq!(anon.cmd("SITE CHMOD 666 drop").code, 550);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(srv.path("anon/drop")).unwrap().permissions().mode() & 0o777, 0o600);
    let mut other = srv.login("anonymous", "y");
    let _data = other.epsv();
    assert_eq!(other.cmd("RETR drop").code, 550, "a stranger's upload is no download");
}

/// SITE CHMOD sets only 0–0777: never setuid, setgid or sticky.
#[test]
fn site_chmod_never_sets_special_bits() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/prog"), "x").unwrap();
    let mut c = srv.alice();
    for mode in ["6755", "7777", "4755", "1777", "10755"] {
        assert_eq!(c.cmd(&format!("SITE CHMOD {mode} prog")).code, 501, "{mode}");
    }
    assert_eq!(c.cmd("SITE CHMOD 755 prog").code, 200);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(srv.path("home/alice/prog")).unwrap().permissions().mode() & 0o7777, 0o755);
}

/// Unmounts a FUSE mount when dropped.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let unmounted = ["fusermount3", "fusermount"]
            .iter()
            .any(|tool| std::process::Command::new(tool).arg("-u").arg(&self.0).status().is_ok_and(|s| s.success()));
        if !unmounted {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
}

/// On a file system without O_TMPFILE (bindfs, a FUSE file system from
/// Debian, as NFS or CephFS may be), uploads fall back to a hidden
/// temporary name: still atomic, and a killed server's leftovers are swept
/// by the next upload to that directory.
#[test]
fn uploads_stay_atomic_on_a_file_system_without_o_tmpfile() {
    if !root_or_skip() || !have("bindfs") || !std::path::Path::new("/dev/fuse").exists() {
        return;
    }
    let dir = TempDir::new("fuse");
    let (src, mnt) = (dir.0.join("src"), dir.0.join("mnt"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    run(std::process::Command::new("bindfs").arg(&src).arg(&mnt));
    let _mounted = Mounted(mnt.clone());
    std::fs::write(mnt.join("big.bin"), "old").unwrap();
    let users = dir.0.join("users");
    std::fs::write(&users, format!("alice:{SECRET_HASH}:{}:rw\n", mnt.display())).unwrap();
    let extra = [("user_file", users.to_str().unwrap())];
    let mut srv = TestServer::start(&extra);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    let mut data = c.epsv();
    assert_eq!(c.cmd("STOR big.bin").code, 150);
    data.write_all(&pattern(1 << 20, 5)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    srv.kill();
    assert_eq!(std::fs::read_to_string(mnt.join("big.bin")).unwrap(), "old", "the old file is intact");
    let stale: Vec<String> = names(&src).into_iter().filter(|n| n.ends_with(".part")).collect();
    assert_eq!(stale.len(), 1, "the fallback's temporary name: {stale:?}");
    let srv = TestServer::start(&extra);
    let mut c = srv.alice();
    assert_eq!(c.upload("STOR fresh.bin", b"new").code, 226);
    assert_eq!(std::fs::read_to_string(mnt.join("fresh.bin")).unwrap(), "new");
    let mut left = names(&src);
    left.sort();
    assert_eq!(left, ["big.bin", "fresh.bin"], "the dead server's temporary file was swept");
    // A 250-byte name still gets a temporary name that fits (NAME_MAX 255).
    let long = "n".repeat(250);
    assert_eq!(c.upload(&format!("STOR {long}"), b"long").code, 226);
    assert_eq!(std::fs::read(mnt.join(&long)).unwrap(), b"long");
}

/// Gaps cargo-mutants found in src/jail: CWD into a file, the mode of an
/// overwritten file, LIST of one symlink.
#[test]
fn jail_details_mutation_testing_found_unchecked() {
    let srv = TestServer::start(&[]);
    let home = srv.path("home/alice");
    std::fs::write(home.join("plain.txt"), "x").unwrap();
    std::fs::write(home.join("kept.txt"), "old").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(home.join("kept.txt"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("plain.txt", home.join("alias")).unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("CWD plain.txt").code, 550, "a file is no directory");
    assert_eq!(c.upload("STOR kept.txt", b"new").code, 226);
    let mode = std::fs::metadata(home.join("kept.txt")).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "an overwrite keeps the old mode, nothing more");
    let listing = c.listing("LIST alias");
    assert!(listing.trim_end().ends_with("alias -> plain.txt"), "{listing}");
}
