//! Whose permissions a session runs with: system accounts (local_enable)
//! with per-session identities, anonymous as ftp_username, virtual users as
//! guest_username, the capabilities kept, and per-user permissions.
//!
//! Tests that need root create throwaway system accounts with useradd and
//! remove them on drop; without root they say so and skip.

use crate::support::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

/// The reply code to PASS after USER `name` on a new connection.
fn login_code(srv: &TestServer, name: &str, password: &str) -> u16 {
    let mut c = srv.connect();
    assert_eq!(c.cmd(&format!("USER {name}")).code, 331);
    c.cmd(&format!("PASS {password}")).code
}

fn owner(path: &Path) -> (u32, u32, u32) {
    let m = std::fs::symlink_metadata(path).unwrap();
    (m.uid(), m.gid(), m.mode() & 0o7777)
}

fn cap_eff(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find_map(|l| l.strip_prefix("CapEff:")).unwrap().trim().to_string()
}

/// A system account logs in with its /etc/shadow password, is jailed in its
/// home, and everything it does is checked by the kernel as that account:
/// what it creates is its own, a root 0600 file stays unreadable, a root
/// directory stays unwritable, and no path leaves the home. Run once with
/// rftpd staying root and once with nopriv_user.
#[test]
fn system_account_sessions_run_as_the_account() {
    if !root_or_skip() || !have("curl") {
        return;
    }
    for nopriv in ["", "nobody"] {
        let tmp = TempDir::new("acct");
        let user = SystemUser::new("a", &tmp.0.join("home"));
        let home = &user.home;
        std::fs::write(home.join("secret"), "root only").unwrap();
        std::fs::set_permissions(home.join("secret"), PermissionsExt::from_mode(0o600)).unwrap();
        std::fs::create_dir(home.join("rootdir")).unwrap();
        symlink("/etc/passwd", home.join("passwd-link")).unwrap();
        let srv = TestServer::start(&[
            ("local_enable", "YES"),
            ("nopriv_user", nopriv),
            ("ftpusers_file", ""),
            ("local_umask", "022"),
            ("anon_upload_enable", "YES"),
        ]);
        std::fs::set_permissions(srv.path("anon"), PermissionsExt::from_mode(0o777)).unwrap();
        srv.wait_log("capabilities: CAP_DAC_READ_SEARCH, CAP_SETGID, CAP_SETUID");
        // CAP_DAC_READ_SEARCH (bit 2), CAP_SETGID (6), CAP_SETUID (7): nothing else.
        assert_eq!(cap_eff(srv.pid()), "00000000000000c4", "nopriv_user={nopriv}");

        // curl uploads as the account; the file is the account's.
        let local = tmp.0.join("up.txt");
        std::fs::write(&local, "uploaded by curl\n").unwrap();
        let url = format!("ftp://{}:secret@{}/up.txt", user.name, srv.addr);
        run(Command::new("curl").args(["-sS", "--max-time", "20", "-T"]).arg(&local).arg(&url));
        assert_eq!(owner(&home.join("up.txt")), (user.uid, user.gid, 0o644));
        srv.wait_log(&format!("user={} login ok as={}", user.name, user.name));

        let mut c = srv.login(&user.name, "secret");
        assert!(c.cmd("PWD").lines[0].starts_with("257 \"/\""), "jailed in the home");
        assert_eq!(c.cmd("MKD made").code, 257);
        assert_eq!(owner(&home.join("made")), (user.uid, user.gid, 0o755));
        assert_eq!(c.cmd("CWD rootdir").code, 250);
        let r = c.cmd("STOR denied.txt");
        assert_eq!(r.code, 550, "root's 0755 directory is not writable by the account: {r:?}");
        assert_eq!(c.cmd("CWD /").code, 250);
        // Refused before any data connection is needed.
        for path in ["secret", "../../../../etc/passwd", "/etc/passwd", "passwd-link"] {
            let r = c.cmd(&format!("RETR {path}"));
            assert_eq!(r.code, 550, "RETR {path}: {r:?}");
        }
        assert_eq!(c.cmd("CWD ../../..").code, 250);
        assert!(c.cmd("PWD").lines[0].starts_with("257 \"/\""));
        assert_eq!(c.retr("up.txt"), b"uploaded by curl\r\n");
        // REIN gives the worker its own identity back: an anonymous login
        // on the same connection (ftp_username empty) writes as the daemon.
        assert_eq!(c.cmd("REIN").code, 220);
        assert_eq!(c.cmd("USER anonymous").code, 331);
        assert_eq!(c.cmd("PASS x").code, 230);
        assert_eq!(c.upload("STOR after-rein.txt", b"daemon's").code, 226);
        let daemon_uid = if nopriv.is_empty() { 0 } else { 65534 };
        assert_eq!(owner(&srv.path("anon/after-rein.txt")).0, daemon_uid, "nopriv_user={nopriv}");
        drop(c);

        assert_eq!(login_code(&srv, &user.name, "wrong"), 530);
        srv.wait_log("login refused: system account: wrong password");
    }
}

/// A system account's session has the account's groups and no others:
/// files that only group root or group daemon may read (0640) stay
/// unreadable to it, while its own are served.
#[test]
fn system_account_sessions_have_only_their_own_groups() {
    if !root_or_skip() {
        return;
    }
    let tmp = TempDir::new("groups");
    let user = SystemUser::new("g", &tmp.0.join("home"));
    for (name, gid) in [("root-group.txt", 0u32), ("daemon-group.txt", 1), ("own.txt", user.gid)] {
        let path = user.home.join(name);
        std::fs::write(&path, name).unwrap();
        std::os::unix::fs::chown(&path, Some(0), Some(gid)).unwrap();
        std::fs::set_permissions(&path, PermissionsExt::from_mode(0o640)).unwrap();
    }
    let srv = TestServer::start(&[("local_enable", "YES"), ("ftpusers_file", "")]);
    let mut c = srv.login(&user.name, "secret");
    assert_eq!(c.cmd("TYPE I").code, 200);
    for name in ["root-group.txt", "daemon-group.txt"] {
        let r = c.cmd(&format!("RETR {name}"));
        assert_eq!(r.code, 550, "{name}: {r:?}");
    }
    assert_eq!(c.retr("own.txt"), b"own.txt");
}

/// An account whose expiry date has passed is refused; an ftpusers_file
/// that does not exist denies no one, one that cannot be read denies
/// everyone (a read error never lets a listed account in).
#[test]
fn expired_accounts_and_unreadable_ftpusers_are_refused() {
    if !root_or_skip() {
        return;
    }
    let tmp = TempDir::new("expiry");
    let user = SystemUser::new("e", &tmp.0.join("home"));
    let missing = tmp.0.join("no-such-ftpusers");
    let srv = TestServer::start(&[("local_enable", "YES"), ("ftpusers_file", missing.to_str().unwrap())]);
    assert_eq!(login_code(&srv, &user.name, "secret"), 230, "a missing ftpusers_file denies no one");
    let unreadable = TestServer::start(&[("local_enable", "YES"), ("ftpusers_file", tmp.0.to_str().unwrap())]);
    assert_eq!(login_code(&unreadable, &user.name, "secret"), 530, "ftpusers_file is a directory");
    unreadable.wait_log("cannot read ftpusers_file");
    // Expired on 1970-01-02 (day 1), as `usermod -e 1970-01-02` sets it.
    user.usermod(&["-e", "1"]);
    assert_eq!(login_code(&srv, &user.name, "secret"), 530);
    srv.wait_log("account expired");
}

/// A guest_username naming root is refused at login too, not only at start
/// (a per-user config file can set it): sessions never run as root.
#[test]
fn sessions_are_never_mapped_to_root() {
    if !root_or_skip() {
        return;
    }
    let dir = TempDir::new("userconf");
    std::fs::write(dir.0.join("alice"), "guest_username=root\n").unwrap();
    // local_enable keeps the capabilities to switch accounts, so mappings apply.
    let srv = TestServer::start(&[("user_config_dir", dir.0.to_str().unwrap()), ("local_enable", "YES")]);
    assert_eq!(login_code(&srv, "alice", "secret"), 530);
    srv.wait_log("guest_username=root is root");
    assert_eq!(login_code(&srv, "bob", "secret"), 230, "bob has no such file");
}

/// Accounts PAM would refuse are refused: listed in ftpusers, a shell not
/// in /etc/shells, a locked password, uid 0; and local_enable=NO refuses all.
#[test]
fn system_logins_refused_like_pam_would() {
    if !root_or_skip() {
        return;
    }
    let tmp = TempDir::new("acct");
    let user = SystemUser::new("r", &tmp.0.join("home"));
    let ftpusers = tmp.0.join("ftpusers");
    let try_login = |srv: &TestServer, name: &str| login_code(srv, name, "secret");

    let off = TestServer::start(&[]);
    assert_eq!(try_login(&off, &user.name), 530, "local_enable is off by default");

    std::fs::write(&ftpusers, format!("# deny\nroot\n{}\n", user.name)).unwrap();
    let srv = TestServer::start(&[("local_enable", "YES"), ("ftpusers_file", &ftpusers.to_string_lossy())]);
    assert_eq!(try_login(&srv, &user.name), 530);
    srv.wait_log(&format!("listed in {}", ftpusers.display()));
    assert_eq!(try_login(&srv, "root"), 530);
    std::fs::write(&ftpusers, "root\n").unwrap();
    assert_eq!(try_login(&srv, &user.name), 230, "off the list, it may log in");

    user.usermod(&["-s", "/usr/sbin/nologin"]);
    assert_eq!(try_login(&srv, &user.name), 530);
    srv.wait_log("shell /usr/sbin/nologin is not in /etc/shells");
    let lax = TestServer::start(&[("local_enable", "YES"), ("check_shell", "NO")]);
    assert_eq!(try_login(&lax, &user.name), 230, "check_shell=NO");

    user.usermod(&["-L"]);
    assert_eq!(try_login(&lax, &user.name), 530);
    lax.wait_log("account locked");
}

/// chroot_local_user=NO: the account starts in its home but the root is the
/// whole file system, where the kernel still applies its permissions.
#[test]
fn unjailed_system_account_sees_the_file_system_with_its_permissions() {
    if !root_or_skip() {
        return;
    }
    let tmp = TempDir::new("acct");
    let user = SystemUser::new("u", &tmp.0.join("home"));
    // Outside the home, root's, world-readable. (Not /etc/passwd: the tests
    // beside this one add and remove accounts while it runs.)
    let outside = tmp.0.join("outside.txt");
    std::fs::write(&outside, "line 1\nline 2\n").unwrap();
    std::fs::set_permissions(&outside, PermissionsExt::from_mode(0o644)).unwrap();
    let srv = TestServer::start(&[("local_enable", "YES"), ("chroot_local_user", "NO")]);
    let mut c = srv.login(&user.name, "secret");
    assert_eq!(c.cmd("PWD").lines[0], format!("257 \"{}\" is the current directory", user.home.display()));
    assert_eq!(c.retr(outside.to_str().unwrap()), b"line 1\r\nline 2\r\n");
    assert_eq!(c.cmd("RETR /etc/shadow").code, 550, "root:shadow 0640 stays unreadable");
}

/// Started as root, anonymous sessions read and write as ftp_username and
/// virtual users as guest_username; anonymous uploads (anon_umask 077) can't
/// be downloaded again because anonymous users only get world-readable files.
#[test]
fn anonymous_and_virtual_sessions_run_as_their_mapped_accounts() {
    if !root_or_skip() {
        return;
    }
    let tmp = TempDir::new("acct");
    let guest = SystemUser::new("g", &tmp.0.join("guest"));
    let srv = TestServer::start(&[
        ("ftp_username", &guest.name),
        ("guest_username", &guest.name),
        ("anon_upload_enable", "YES"),
        ("nopriv_user", "nobody"),
    ]);
    srv.wait_log("capabilities: CAP_SETGID, CAP_SETUID");
    assert_eq!(cap_eff(srv.pid()), "00000000000000c0");
    for dir in ["anon", "home/alice"] {
        std::os::unix::fs::chown(srv.path(dir), Some(guest.uid), Some(guest.gid)).unwrap();
    }
    std::fs::write(srv.path("anon/private.txt"), "not for strangers").unwrap();
    std::fs::set_permissions(srv.path("anon/private.txt"), PermissionsExt::from_mode(0o640)).unwrap();
    // The kernel would let the account read both; rftpd's rule does not.
    std::os::unix::fs::chown(srv.path("anon/private.txt"), Some(guest.uid), Some(guest.gid)).unwrap();

    let mut anon = srv.login("anonymous", "me@example.org");
    srv.wait_log(&format!("user=ftp login ok as={}", guest.name));
    assert_eq!(anon.upload("STOR drop.bin", b"anonymous upload").code, 226);
    assert_eq!(owner(&srv.path("anon/drop.bin")), (guest.uid, guest.gid, 0o600));
    for name in ["drop.bin", "private.txt"] {
        assert_eq!(anon.cmd(&format!("RETR {name}")).code, 550, "{name} is not world-readable");
    }
    assert_eq!(anon.retr("readme.txt"), b"hello from anon\r\n");
    assert_eq!(anon.cmd("STOR drop.bin").code, 550, "anonymous may not overwrite");

    let mut alice = srv.alice();
    assert_eq!(alice.upload("STOR mine.txt", b"virtual").code, 226);
    assert_eq!(owner(&srv.path("home/alice/mine.txt")).0, guest.uid);
    drop(srv);

    // chown_uploads: anonymous uploads are given away (vsftpd's keys).
    let srv = TestServer::start(&[
        ("ftp_username", &guest.name),
        ("anon_upload_enable", "YES"),
        ("chown_uploads", "YES"),
        ("chown_username", "nobody"),
        ("chown_upload_mode", "0640"),
    ]);
    srv.wait_log("capabilities: CAP_CHOWN, CAP_SETGID, CAP_SETUID");
    std::os::unix::fs::chown(srv.path("anon"), Some(guest.uid), Some(guest.gid)).unwrap();
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    let mut anon = srv.login("anonymous", "x");
    assert_eq!(anon.upload("STOR given.bin", b"given away").code, 226);
    assert_eq!(owner(&srv.path("anon/given.bin")), (nobody.uid.as_raw(), nobody.gid.as_raw(), 0o640));
    assert_eq!(std::fs::read(srv.path("anon/given.bin")).unwrap(), b"given away");
    assert_eq!(anon.upload("STOU", b"unique").code, 226);
    assert_eq!(owner(&srv.path("anon/file")).0, nobody.uid.as_raw(), "STOU uploads are given away too");
}

/// A worker leaves an anonymous session's identity in place for the next
/// anonymous login instead of switching back and forth, but never lets it
/// into another login: a system login (which reads /etc/shadow) and a
/// virtual login (whose users file only root may read, just rewritten) get
/// the daemon's own rights back first. REIN keeps every login on one worker.
#[test]
fn a_lingering_identity_stays_with_its_own_account() {
    if !root_or_skip() {
        return;
    }
    let tmp = TempDir::new("acct");
    let guest = SystemUser::new("l", &tmp.0.join("guest"));
    let user = SystemUser::new("m", &tmp.0.join("home"));
    let srv = TestServer::start(&[
        ("ftp_username", &guest.name),
        ("local_enable", "YES"),
        ("ftpusers_file", ""),
        ("anon_upload_enable", "YES"),
        ("anon_umask", "022"),
    ]);
    std::os::unix::fs::chown(srv.path("anon"), Some(guest.uid), Some(guest.gid)).unwrap();
    let users = std::fs::read_to_string(srv.path("users")).unwrap();
    let mut c = srv.connect();
    for round in 0..2 {
        for (name, password) in [("anonymous", "x"), (user.name.as_str(), "secret"), ("alice", "secret")] {
            if name == "alice" {
                // Changed, so it is read again: as root, or not at all.
                std::fs::write(srv.path("users"), format!("{users}# round {round}\n")).unwrap();
                std::fs::set_permissions(srv.path("users"), PermissionsExt::from_mode(0o600)).unwrap();
            }
            assert_eq!(c.cmd(&format!("USER {name}")).code, 331);
            let r = c.cmd(&format!("PASS {password}"));
            assert_eq!(r.code, 230, "{name} after another login on this worker: {r:?}");
            let file = format!("{name}-{round}.txt");
            assert_eq!(c.upload(&format!("STOR {file}"), b"x").code, 226, "{name} uploads");
            let (uid, path) = match name {
                "anonymous" => (guest.uid, srv.path(&format!("anon/{file}"))),
                "alice" => (0, srv.path(&format!("home/alice/{file}"))), // guest_username empty: the daemon
                _ => (user.uid, user.home.join(&file)),
            };
            assert_eq!(owner(&path).0, uid, "{file} belongs to the login's account");
            assert_eq!(c.cmd("REIN").code, 220);
        }
    }
}

/// Directories large enough to be `lstat`ed by several threads are checked
/// as the session's account in every one of them: in a directory the
/// account may read but not search (0744, root's), no entry can be statted,
/// so the listing is empty; as root every entry is listed.
#[test]
fn large_listings_are_statted_as_the_account() {
    if !root_or_skip() {
        return;
    }
    let tmp = TempDir::new("acct");
    let guest = SystemUser::new("s", &tmp.0.join("guest"));
    let srv = TestServer::start(&[("ftp_username", &guest.name)]);
    let big = srv.path("anon/big");
    std::fs::create_dir(&big).unwrap();
    let n = rftpd::limits::PARALLEL_STAT_MIN * 2;
    for i in 0..n {
        std::fs::write(big.join(format!("f{i:05}")), "").unwrap();
    }
    std::fs::set_permissions(&big, PermissionsExt::from_mode(0o744)).unwrap();
    let mut anon = srv.login("anonymous", "x");
    assert_eq!(anon.listing("LIST big"), "", "no entry of a directory without search permission");
    std::fs::set_permissions(&big, PermissionsExt::from_mode(0o755)).unwrap();
    assert_eq!(anon.listing("LIST big").lines().count(), n);

    // The daemon's own identity (root) may search it: every entry.
    std::fs::set_permissions(&big, PermissionsExt::from_mode(0o744)).unwrap();
    let as_root = TestServer::start(&[("anon_root", srv.path("anon").to_str().unwrap())]);
    assert_eq!(as_root.login("anonymous", "x").listing("LIST big").lines().count(), n);
}

/// Users-file flags grant single permissions; write_enable and
/// download_enable bound them for everyone. No root needed.
#[test]
fn per_user_permissions_from_the_users_file() {
    let srv = TestServer::start(&[]);
    for (dir, seed) in [("home/carol", "carol"), ("home/dropbox", "dropbox")] {
        std::fs::create_dir_all(srv.path(dir)).unwrap();
        std::fs::write(srv.path(&format!("{dir}/old.txt")), seed).unwrap();
        std::fs::create_dir(srv.path(&format!("{dir}/sub"))).unwrap();
    }
    let mut users = std::fs::read_to_string(srv.path("users")).unwrap();
    for (name, flags) in [("carol", "rw,-delete,-rmdir"), ("dropbox", "upload")] {
        users.push_str(&format!("{name}:{SECRET_HASH}:{}:{flags}\n", srv.path(&format!("home/{name}")).display()));
    }
    std::fs::write(srv.path("users"), users).unwrap();

    let mut carol = srv.login("carol", "secret");
    assert_eq!(carol.upload("STOR new.txt", b"new").code, 226);
    assert_eq!(carol.upload("STOR old.txt", b"replaced").code, 226, "overwrite");
    assert_eq!(carol.cmd("DELE old.txt").code, 550);
    assert_eq!(carol.cmd("RMD sub").code, 550);
    assert_eq!(carol.cmd("RNFR new.txt").code, 350);
    assert_eq!(carol.cmd("RNTO renamed.txt").code, 250);
    assert_eq!(carol.cmd("MKD dir").code, 257);
    let mlst = carol.cmd("MLST old.txt");
    assert!(mlst.lines[1].contains("perm=afrw;"), "no 'd' in {mlst:?}");

    let mut drop_box = srv.login("dropbox", "secret");
    assert_eq!(drop_box.upload("STOR in.txt", b"dropped").code, 226);
    assert_eq!(drop_box.cmd("STOR old.txt").code, 550, "no overwrite");
    assert_eq!(drop_box.cmd("RETR old.txt").code, 550, "no download");
    assert_eq!(drop_box.cmd("MKD d").code, 550);
    assert_eq!(std::fs::read(srv.path("home/dropbox/old.txt")).unwrap(), b"dropbox");

    let upload_only = TestServer::start(&[("download_enable", "NO")]);
    let mut alice = upload_only.alice();
    assert_eq!(alice.upload("STOR a.txt", b"a").code, 226);
    assert_eq!(alice.cmd("RETR a.txt").code, 550, "download_enable=NO");
}

/// Built with the pam feature, system passwords and account state are
/// checked by PAM (a throwaway service using pam_unix): the right password
/// logs in, a wrong one or a locked account does not.
#[cfg(feature = "pam")]
#[test]
fn pam_checks_system_accounts() {
    if !root_or_skip() {
        return;
    }
    let tmp = TempDir::new("acct");
    let user = SystemUser::new("p", &tmp.0.join("home"));
    let service = format!("rftpd-test-{}", std::process::id());
    let pam_file = std::path::PathBuf::from("/etc/pam.d").join(&service);
    std::fs::write(&pam_file, "auth required pam_unix.so\naccount required pam_unix.so\n").unwrap();
    struct Remove(std::path::PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let _pam_file = Remove(pam_file);
    let srv = TestServer::start(&[("local_enable", "YES"), ("pam_service_name", &service)]);
    let mut c = srv.login(&user.name, "secret");
    assert_eq!(c.upload("STOR via-pam.txt", b"pam").code, 226);
    assert_eq!(owner(&user.home.join("via-pam.txt")).0, user.uid);
    let try_login = |password: &str| login_code(&srv, &user.name, password);
    assert_eq!(try_login("wrong"), 530);
    srv.wait_log(&format!("PAM ({service}): 7: Authentication failure"));
    user.usermod(&["-L"]);
    assert_eq!(try_login("secret"), 530, "locked");
}
