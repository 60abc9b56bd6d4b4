//! Config keys whose behaviour no other test pinned: data-connection
//! switches (port_enable, pasv_enable, the promiscuous modes), time zones
//! (use_localtime, MDTM in UTC), file modes, a full disk, and numeric ids.

use crate::support::*;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `HH:MM` of a time of day, `secs` seconds since the epoch (in whatever zone they are).
fn hhmm(secs: i64) -> String {
    format!("{:02}:{:02}", secs.rem_euclid(86_400) / 3600, secs.rem_euclid(3600) / 60)
}

fn set_mtime(path: &std::path::Path, secs: i64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(secs as u64)).unwrap();
}

#[test]
fn port_enable_no_refuses_active_mode() {
    let srv = TestServer::start(&[("port_enable", "NO")]);
    let mut c = srv.alice();
    let l = active_listener("127.0.0.1");
    let port = l.local_addr().unwrap().port();
    let r = c.cmd(&format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff));
    assert_eq!(r.lines[0], "500 Active mode (PORT/EPRT) is disabled on this server.");
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).code, 500);
    // Passive mode still works.
    std::fs::write(srv.path("home/alice/f"), "passive").unwrap();
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.retr("f"), b"passive");
}

#[test]
fn pasv_enable_no_refuses_passive_mode() {
    let srv = TestServer::start(&[("pasv_enable", "NO")]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("PASV").lines[0], "500 Passive mode is disabled on this server.");
    assert_eq!(c.cmd("EPSV").code, 500);
    // Active mode still works.
    std::fs::write(srv.path("home/alice/f"), "active").unwrap();
    assert_eq!(c.cmd("TYPE I").code, 200);
    let l = active_listener("127.0.0.1");
    let port = l.local_addr().unwrap().port();
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).code, 200);
    assert_eq!(c.cmd("RETR f").code, 150);
    let mut got = Vec::new();
    accept(&l).read_to_end(&mut got).unwrap();
    assert_eq!(got, b"active");
    assert_eq!(c.reply().code, 226);
}

/// pasv_promiscuous=YES: a passive data connection from another address
/// than the control connection's is accepted (theft protection is off).
#[test]
fn pasv_promiscuous_accepts_a_data_connection_from_another_address() {
    let srv = TestServer::start(&[("pasv_promiscuous", "YES")]);
    std::fs::write(srv.path("home/alice/f"), "anyone").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    let r = c.cmd("PASV");
    let addr = parse_227(&r.lines[0]);
    let mut data = connect_from("127.0.0.2", addr);
    timeouts(&data);
    assert_eq!(c.cmd("RETR f").code, 150);
    let mut got = Vec::new();
    data.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"anyone");
    assert_eq!(c.reply().code, 226);
}

/// port_promiscuous=YES: PORT to another host and to a low port is allowed
/// (bounce protection is off).
#[test]
fn port_promiscuous_connects_to_another_address() {
    let srv = TestServer::start(&[("port_promiscuous", "YES")]);
    std::fs::write(srv.path("home/alice/f"), "elsewhere").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    let l = active_listener("127.0.0.2");
    let port = l.local_addr().unwrap().port();
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.2|{port}|")).code, 200);
    assert_eq!(c.cmd("RETR f").code, 150);
    let mut got = Vec::new();
    accept(&l).read_to_end(&mut got).unwrap();
    assert_eq!(got, b"elsewhere");
    assert_eq!(c.reply().code, 226);
    // Without the key the same PORT is refused.
    let strict = TestServer::start(&[]);
    let mut s = strict.alice();
    assert_eq!(s.cmd(&format!("EPRT |1|127.0.0.2|{port}|")).lines[0], "500 Illegal PORT command.");
}

/// use_localtime: LIST shows times in the server's zone (TZ), else UTC;
/// MDTM is UTC either way (RFC 3659 §2.3).
#[test]
fn use_localtime_and_mdtm_in_utc_under_a_non_utc_zone() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let when = now - now % 60 - 7200;
    for (localtime, shown) in [("YES", when + 9 * 3600), ("NO", when)] {
        let srv =
            Spec { extra: &[("use_localtime", localtime)], env: &[("TZ", "Asia/Tokyo")], ..Spec::default() }.start();
        let f = srv.path("home/alice/f");
        std::fs::write(&f, "x").unwrap();
        set_mtime(&f, when);
        let mut c = srv.alice();
        let list = c.listing("LIST f");
        assert!(list.contains(&format!(" {} f\r\n", hhmm(shown))), "use_localtime={localtime}: {list}");
        set_mtime(&f, 1_700_000_000);
        assert_eq!(c.cmd("MDTM f").lines[0], "213 20231114221320", "MDTM is UTC under TZ=Asia/Tokyo");
    }
}

/// file_open_mode: the mode of uploaded files before the umask.
#[test]
fn file_open_mode_sets_the_mode_of_uploads() {
    let srv = TestServer::start(&[("file_open_mode", "0640"), ("local_umask", "000")]);
    let mut c = srv.alice();
    assert_eq!(c.upload("STOR new.txt", b"x").code, 226);
    let mode = std::fs::metadata(srv.path("home/alice/new.txt")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // The umask still applies on top of it.
    let srv = TestServer::start(&[("file_open_mode", "0666"), ("local_umask", "027")]);
    let mut c = srv.alice();
    assert_eq!(c.upload("STOR new.txt", b"x").code, 226);
    let mode = std::fs::metadata(srv.path("home/alice/new.txt")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

/// A disk that fills up during an upload: 452, and the session goes on.
#[test]
fn enospc_during_an_upload_is_452() {
    if !root_or_skip() {
        return;
    }
    let srv = TestServer::start(&[]);
    let small = srv.path("home/alice/small");
    std::fs::create_dir(&small).unwrap();
    run(Command::new("mount").args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"]).arg(&small));
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(small.clone());
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    let r = c.upload("STOR small/big.bin", &pattern(1 << 20, 3));
    assert_eq!(r.lines[0], "452 Insufficient storage space.");
    assert_eq!(c.cmd("NOOP").code, 200);
    assert!(names(&small).is_empty(), "the partial upload was removed: {:?}", names(&small));
}

/// hide_ids=NO shows owner and group names, and the number where an id has
/// no name.
#[test]
fn listings_show_numeric_ids_without_a_name() {
    if !root_or_skip() {
        return;
    }
    let srv = TestServer::start(&[]);
    let f = srv.path("home/alice/orphan");
    std::fs::write(&f, "x").unwrap();
    std::os::unix::fs::chown(&f, Some(54_321), Some(54_322)).unwrap();
    let named = srv.path("home/alice/named");
    std::fs::write(&named, "x").unwrap();
    let mut c = srv.alice();
    let list = c.listing("LIST orphan");
    assert!(list.contains(" 54321    54322 "), "{list}");
    let list = c.listing("LIST named");
    let owner = std::fs::metadata(&named).unwrap().uid();
    let name = nix::unistd::User::from_uid(owner.into()).unwrap().unwrap().name;
    assert!(list.contains(&format!(" {name:<8} ")), "{list}");
}
