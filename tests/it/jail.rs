//! Hostile paths: `..`, absolute paths, doubled slashes and symlinks that
//! point outside the root never leave it.

use crate::support::*;
use std::os::unix::fs::{PermissionsExt, symlink};

/// alice's home with a decoy `etc/passwd` inside and links pointing out.
fn hostile(srv: &TestServer) -> std::path::PathBuf {
    let home = srv.path("home/alice");
    std::fs::create_dir_all(home.join("etc")).unwrap();
    std::fs::write(home.join("etc/passwd"), "DECOY").unwrap();
    std::fs::write(srv.path("secret.txt"), "SECRET").unwrap();
    std::fs::create_dir_all(srv.path("outside")).unwrap();
    symlink("/etc", home.join("etclink")).unwrap();
    symlink("/", home.join("abs")).unwrap();
    symlink("../../secret.txt", home.join("rel")).unwrap();
    symlink(srv.path("secret.txt"), home.join("abs_secret")).unwrap();
    symlink(srv.path("outside"), home.join("outdir")).unwrap();
    home
}

#[test]
fn dotdot_absolute_and_double_slash_stay_inside() {
    let srv = TestServer::start(&[]);
    hostile(&srv);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    for p in ["../../../../etc/passwd", "/etc/passwd", "//etc//passwd", "/../etc/passwd", "etc/../../etc/passwd"] {
        assert_eq!(c.retr(p), b"DECOY", "{p}");
    }
    for p in ["../secret.txt", "../../secret.txt", "/../../secret.txt"] {
        assert_eq!(c.cmd(&format!("SIZE {p}")).code, 550, "{p}");
    }
    assert_eq!(c.cmd("CWD ../../..").code, 250);
    assert_eq!(c.cmd("PWD").lines[0], "257 \"/\" is the current directory");
}

#[test]
fn symlinks_pointing_outside_resolve_inside() {
    let srv = TestServer::start(&[]);
    let home = hostile(&srv);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    // /etc seen from inside the root is the decoy directory.
    assert_eq!(c.retr("etclink/passwd"), b"DECOY");
    assert_eq!(c.retr("abs/etc/passwd"), b"DECOY");
    assert_eq!(c.cmd("RETR rel").code, 550);
    assert_eq!(c.cmd("RETR abs_secret").code, 550);
    assert_eq!(c.cmd("CWD etclink").code, 250);
    assert_eq!(c.listing("NLST"), "passwd\r\n");
    assert_eq!(c.cmd("CWD /").code, 250);
    let listing = c.listing("LIST -a");
    assert!(listing.contains("etclink -> /etc"), "{listing}");
    // Writes through an outward symlink fail instead of landing outside.
    assert_eq!(c.cmd("MKD outdir/new").code, 550);
    assert_eq!(c.cmd("STOR outdir/evil.txt").code, 550);
    assert!(names(&srv.path("outside")).is_empty());
    // DELE removes the link, never its target.
    assert_eq!(c.cmd("DELE abs_secret").code, 250);
    assert!(!home.join("abs_secret").exists());
    assert_eq!(std::fs::read(srv.path("secret.txt")).unwrap(), b"SECRET");
    // chmod and mtime through a link to an outside file do not touch it.
    symlink(srv.path("secret.txt"), home.join("abs_secret")).unwrap();
    let before = std::fs::metadata(srv.path("secret.txt")).unwrap();
    assert_eq!(c.cmd("SITE CHMOD 777 abs_secret").code, 550);
    assert_eq!(c.cmd("MFMT 20000101000000 abs_secret").code, 550);
    let after = std::fs::metadata(srv.path("secret.txt")).unwrap();
    assert_eq!(before.permissions().mode(), after.permissions().mode());
    assert_eq!(before.modified().unwrap(), after.modified().unwrap());
}

#[test]
fn rename_cannot_move_files_out() {
    let srv = TestServer::start(&[]);
    let home = hostile(&srv);
    std::fs::write(home.join("mine.txt"), "mine").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("RNFR mine.txt").code, 350);
    assert_eq!(c.cmd("RNTO ../../moved.txt").code, 250);
    assert!(home.join("moved.txt").exists(), "clamped at the root");
    assert!(!srv.path("moved.txt").exists());
    assert_eq!(c.cmd("RNFR moved.txt").code, 350);
    assert_eq!(c.cmd("RNTO outdir/moved.txt").code, 550);
    assert!(names(&srv.path("outside")).is_empty());
    assert_eq!(c.cmd("RNFR ../../secret.txt").code, 550);
}

#[test]
fn anonymous_cannot_reach_user_homes() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/private.txt"), "alice only").unwrap();
    let mut c = srv.login("anonymous", "x@y");
    for p in ["../home/alice/private.txt", "/../../home/alice/private.txt", "../../../../../../tmp"] {
        assert_eq!(c.cmd(&format!("SIZE {p}")).code, 550, "{p}");
    }
    assert_eq!(c.cmd("CWD ../home").code, 550);
    // Symlinks planted in the anonymous tree resolve inside it too.
    let private = srv.path("home/alice/private.txt");
    std::os::unix::fs::symlink(&private, srv.path("anon/abs-link")).unwrap();
    std::os::unix::fs::symlink("../home/alice/private.txt", srv.path("anon/rel-link")).unwrap();
    std::os::unix::fs::symlink("/", srv.path("anon/root-link")).unwrap();
    for p in ["abs-link", "rel-link", "root-link/etc/passwd"] {
        assert_eq!(c.cmd(&format!("RETR {p}")).code, 550, "{p}");
    }
    assert!(!c.listing("LIST root-link").contains("passwd"), "root-link lists the anonymous root, not /");
}

#[test]
fn fifo_is_not_opened_for_reading() {
    let srv = TestServer::start(&[]);
    nix::unistd::mkfifo(&srv.path("home/alice/pipe"), nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let mut c = srv.alice();
    let _data = c.epsv();
    assert_eq!(c.cmd("RETR pipe").code, 553, "a FIFO would block the worker");
    assert_eq!(c.cmd("NOOP").code, 200);
}
