//! A vsftpd admin's files work: the stock Debian vsftpd.conf and vsftpd's
//! packaged examples pass --check-config as they are, and each vsftpd key
//! rftpd implements does what vsftpd.conf(5) says, through a real session.

use crate::ftps::certificate;
use crate::support::*;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn rftpd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rftpd")).args(args).stdin(Stdio::null()).output().unwrap()
}

/// `rftpd --check-config -c FILE` with `text` as FILE; (exit code, output).
fn check(text: &str) -> (Option<i32>, String) {
    let dir = TempDir::new("vsconf");
    let conf = dir.0.join("vsftpd.conf");
    std::fs::write(&conf, text).unwrap();
    let out = rftpd(&["--check-config", "-c", conf.to_str().unwrap()]);
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

// The key=value lines of Debian 12's /etc/vsftpd.conf (vsftpd 3.0.3-13), as shipped.
const DEBIAN_STOCK: &str = "listen=NO\nlisten_ipv6=YES\nanonymous_enable=NO\nlocal_enable=YES\ndirmessage_enable=YES\n\
use_localtime=YES\nxferlog_enable=YES\nconnect_from_port_20=YES\nsecure_chroot_dir=/var/run/vsftpd/empty\n\
pam_service_name=vsftpd\nrsa_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem\n\
rsa_private_key_file=/etc/ssl/private/ssl-cert-snakeoil.key\nssl_enable=NO\n";

// vsftpd's EXAMPLE/INTERNET_SITE/vsftpd.conf (Debian's copy).
const INTERNET_SITE: &str = "anonymous_enable=NO\nlocal_enable=NO\nwrite_enable=NO\nanon_upload_enable=NO\n\
anon_mkdir_write_enable=NO\nanon_other_write_enable=NO\nanon_world_readable_only=YES\nconnect_from_port_20=YES\n\
hide_ids=YES\npasv_min_port=50000\npasv_max_port=60000\nxferlog_enable=YES\nls_recurse_enable=NO\n\
ascii_download_enable=NO\nasync_abor_enable=YES\none_process_model=YES\nidle_session_timeout=120\n\
data_connection_timeout=300\naccept_timeout=60\nconnect_timeout=60\nanon_max_rate=50000\n";

// EXAMPLE/VIRTUAL_USERS/vsftpd.conf.
const VIRTUAL_USERS: &str = "anonymous_enable=NO\nlocal_enable=YES\nwrite_enable=NO\nanon_upload_enable=NO\n\
anon_mkdir_write_enable=NO\nanon_other_write_enable=NO\nchroot_local_user=YES\nguest_enable=YES\n\
guest_username=virtual\nlisten=YES\nlisten_port=10021\npasv_min_port=30000\npasv_max_port=30999\n";

/// The stock files pass --check-config unchanged (comments and all, as an
/// admin's copy has them).
#[test]
fn vsftpd_stock_and_example_configs_pass_check_config() {
    let commented = |t: &str| format!("# Example config file /etc/vsftpd.conf\n#\n{t}# end\n");
    let (code, out) = check(&commented(DEBIAN_STOCK));
    assert_eq!(code, Some(0), "Debian's vsftpd.conf: {out}");
    assert!(out.contains("secure_chroot_dir: accepted, no effect"), "no-ops are notes: {out}");
    let noinetd = format!("listen=YES\nmax_clients=200\nmax_per_ip=4\n{INTERNET_SITE}");
    for (name, text) in [("INTERNET_SITE", INTERNET_SITE), ("INTERNET_SITE_NOINETD", noinetd.as_str())] {
        let (code, out) = check(&commented(text));
        assert_eq!(code, Some(0), "{name}: {out}");
    }
    // VIRTUAL_USERS runs its guests as the account 'virtual', which its
    // README has the admin create; started as root, a missing one is an
    // error. The test gives it one in a private mount namespace, leaving
    // the host's /etc/passwd alone.
    let (code, out) = check(&commented(VIRTUAL_USERS));
    if !nix::unistd::Uid::effective().is_root() {
        assert_eq!(code, Some(0), "VIRTUAL_USERS (not root: accounts are not needed): {out}");
        return;
    }
    assert_eq!(code, Some(2), "without the account 'virtual' as root: {out}");
    assert!(out.contains(":11: guest_username: no such account 'virtual'"), "{out}");
    let dir = TempDir::new("vu");
    let passwd = dir.0.join("passwd");
    let mut accounts = std::fs::read_to_string("/etc/passwd").unwrap();
    accounts.push_str("virtual:x:64999:64999::/home/virtual:/usr/sbin/nologin\n");
    std::fs::write(&passwd, accounts).unwrap();
    let conf = dir.0.join("vsftpd.conf");
    std::fs::write(&conf, commented(VIRTUAL_USERS)).unwrap();
    let out = run(Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg("mount --bind \"$0\" /etc/passwd && exec \"$1\" --check-config -c \"$2\"")
        .arg(&passwd)
        .arg(env!("CARGO_BIN_EXE_rftpd"))
        .arg(&conf));
    assert!(out.contains("configuration OK"), "{out}");
}

/// Every key of vsftpd.conf(5) is known: none gets "unknown key".
#[test]
fn no_vsftpd_key_is_unknown() {
    let keys = "allow_anon_ssl anon_mkdir_write_enable anon_other_write_enable anon_upload_enable \
        anon_world_readable_only anonymous_enable ascii_download_enable ascii_upload_enable async_abor_enable \
        background check_shell chmod_enable chown_uploads chroot_list_enable chroot_local_user \
        connect_from_port_20 debug_ssl delete_failed_uploads deny_email_enable dirlist_enable dirmessage_enable \
        download_enable dual_log_enable force_dot_files force_anon_data_ssl force_anon_logins_ssl \
        force_local_data_ssl force_local_logins_ssl guest_enable hide_ids implicit_ssl listen listen_ipv6 \
        local_enable lock_upload_files log_ftp_protocol ls_recurse_enable mdtm_write no_anon_password \
        no_log_lock one_process_model passwd_chroot_enable pasv_addr_resolve pasv_enable pasv_promiscuous \
        port_enable port_promiscuous require_cert require_ssl_reuse run_as_launching_user \
        secure_email_list_enable session_support setproctitle_enable ssl_enable ssl_request_cert ssl_sslv2 \
        ssl_sslv3 ssl_tlsv1 strict_ssl_read_eof strict_ssl_write_shutdown syslog_enable tcp_wrappers \
        text_userdb_names tilde_user_enable use_localtime use_sendfile userlist_deny userlist_enable \
        validate_cert virtual_use_local_privs write_enable xferlog_enable xferlog_std_format isolate \
        isolate_network seccomp_sandbox allow_writeable_chroot accept_timeout anon_max_rate anon_umask \
        chown_upload_mode connect_timeout data_connection_timeout delay_failed_login delay_successful_login \
        file_open_mode ftp_data_port idle_session_timeout listen_port local_max_rate local_umask max_clients \
        max_login_fails max_per_ip pasv_max_port pasv_min_port trans_chunk_size anon_root banned_email_file \
        banner_file ca_certs_file chown_username chroot_list_file cmds_allowed cmds_denied deny_file \
        download_file dsa_cert_file dsa_private_key_file email_password_file ftp_username ftpd_banner \
        guest_username hide_file listen_address listen_address6 local_root message_file nopriv_user \
        pam_service_name pasv_address rsa_cert_file rsa_private_key_file secure_chroot_dir ssl_ciphers \
        upload_file user_config_dir user_sub_token userlist_file vsftpd_log_file xferlog_file";
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/VSFTPD.md")).unwrap();
    for key in keys.split_whitespace() {
        let out = rftpd(&["--check-config", "-c", "/dev/null", "-o", &format!("{key}=")]);
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(!text.contains("unknown key"), "{key}: {text}");
        assert!(guide.contains(&format!("| `{key}` |")), "docs/VSFTPD.md has no row for {key}");
    }
    // And every key of rftpd's own has a row too (the table of keys rftpd adds).
    let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/etc/rftpd.conf")).unwrap();
    for key in sample.lines().filter_map(|l| l.strip_prefix('#')?.split_once('=').map(|(k, _)| k)) {
        if key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            assert!(guide.contains(&format!("| `{key}` |")), "docs/VSFTPD.md has no row for rftpd's {key}");
        }
    }
}

#[test]
fn listen_and_listen_ipv6_choose_the_listener() {
    let unset = &["listen_address"];
    let v4 = Spec { extra: &[("listen", "YES")], unset, ..Spec::default() }.start();
    assert!(v4.wait_log("listening on ").contains("listening on 0.0.0.0:"));
    let v6 = Spec { extra: &[("listen_ipv6", "YES")], unset, ..Spec::default() }.start();
    assert!(v6.wait_log("listening on ").contains("listening on [::]:"));
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let extra = &[("listen_ipv6", "YES"), ("listen_address6", "::1")];
        let one = Spec { extra, unset, ..Spec::default() }.start();
        assert!(one.wait_log("listening on ").contains("listening on [::1]:"));
    }
}

#[test]
fn banner_file_is_the_greeting() {
    let dir = TempDir::new("banner");
    let banner = dir.0.join("banner");
    std::fs::write(&banner, "Welcome to the archive.\nBe nice.\n").unwrap();
    let srv = TestServer::start(&[("banner_file", banner.to_str().unwrap())]);
    let mut c = FtpClient::raw(srv.addr);
    let r = c.reply();
    assert_eq!((r.code, r.lines[0].as_str(), r.lines[1].as_str()), (220, "220-Welcome to the archive.", "Be nice."));
}

#[test]
fn no_anon_password_logs_in_at_user() {
    let srv = TestServer::start(&[("no_anon_password", "YES")]);
    let mut c = srv.connect();
    assert_eq!(c.cmd("USER anonymous").code, 230);
    assert_eq!(c.cmd("USER alice").code, 530, "already logged in");
}

#[test]
fn deny_email_and_secure_email_lists_check_anonymous_passwords() {
    let dir = TempDir::new("emails");
    let banned = dir.0.join("banned");
    std::fs::write(&banned, "spammer@example.org\n").unwrap();
    let srv = TestServer::start(&[("deny_email_enable", "YES"), ("banned_email_file", banned.to_str().unwrap())]);
    let code = |srv: &TestServer, pw: &str| {
        let mut c = srv.connect();
        c.cmd("USER anonymous");
        c.cmd(&format!("PASS {pw}")).code
    };
    assert_eq!(code(&srv, "spammer@example.org"), 530);
    assert_eq!(code(&srv, "friend@example.org"), 230);
    let allowed = dir.0.join("allowed");
    std::fs::write(&allowed, "# the only ones\nfriend@example.org\n").unwrap();
    let srv =
        TestServer::start(&[("secure_email_list_enable", "YES"), ("email_password_file", allowed.to_str().unwrap())]);
    assert_eq!(code(&srv, "friend@example.org"), 230);
    assert_eq!(code(&srv, "stranger@example.org"), 530);
}

#[test]
fn userlist_refuses_listed_names_or_admits_only_them() {
    let dir = TempDir::new("userlist");
    let list = dir.0.join("user_list");
    std::fs::write(&list, "bob\n").unwrap();
    let file = list.to_str().unwrap();
    let srv = TestServer::start(&[("userlist_enable", "YES"), ("userlist_file", file), ("delay_failed_login", "0")]);
    let mut c = srv.connect();
    assert_eq!(c.cmd("USER bob").lines[0], "530 Permission denied.", "listed, userlist_deny=YES");
    assert_eq!(c.cmd("USER alice").code, 331);
    assert_eq!(c.cmd("PASS secret").code, 230);
    let srv = TestServer::start(&[("userlist_enable", "YES"), ("userlist_file", file), ("userlist_deny", "NO")]);
    let mut c = srv.connect();
    assert_eq!(c.cmd("USER alice").code, 530, "not listed, userlist_deny=NO");
    assert_eq!(c.cmd("USER bob").code, 331);
    assert_eq!(c.cmd("PASS secret").code, 230);
}

/// local_root with user_sub_token: each user starts (jailed) in their own
/// directory under one tree.
#[test]
fn local_root_and_user_sub_token() {
    let srv = TestServer::start(&[]);
    let tree = srv.path("tree");
    for user in ["alice", "bob"] {
        std::fs::create_dir_all(tree.join(user)).unwrap();
        std::fs::write(tree.join(user).join("whose"), user).unwrap();
    }
    let root = format!("{}/$USER", tree.display());
    let srv2 = TestServer::start(&[
        ("local_root", &root),
        ("user_sub_token", "$USER"),
        ("user_file", srv.path("users").to_str().unwrap()),
    ]);
    let mut a = srv2.alice();
    assert_eq!(a.cmd("TYPE I").code, 200);
    assert_eq!(a.retr("whose"), b"alice");
    let mut b = srv2.login("bob", "secret");
    assert_eq!(b.cmd("TYPE I").code, 200);
    assert_eq!(b.retr("/whose"), b"bob");
    assert_eq!(b.cmd("RETR ../alice/whose").code, 550, "jailed in its own directory: .. stops at it");
}

/// user_config_dir: a user's file overrides keys for that user's sessions only.
#[test]
fn user_config_dir_overrides_keys_per_user() {
    let dir = TempDir::new("userconf");
    std::fs::write(dir.0.join("alice"), "write_enable=NO\ncmds_denied=DELE\n").unwrap();
    let srv = TestServer::start(&[("user_config_dir", dir.0.to_str().unwrap())]);
    let mut a = srv.alice();
    assert_eq!(a.cmd("STOR x").code, 550, "alice: write_enable=NO from her file");
    assert_eq!(a.cmd("DELE x").lines[0], "550 Permission denied.");
    std::fs::write(srv.path("home/bob/f"), "x").unwrap();
    // bob has no file: the server's keys (bob's own permissions are ro).
    let mut b = srv.login("bob", "secret");
    assert_eq!(b.cmd("SIZE f").code, 213);
    // A broken per-user file is caught by --check-config, with its line.
    std::fs::write(dir.0.join("carol"), "local_umask=9\n").unwrap();
    let out = rftpd(&["--check-config", "-c", "/dev/null", "-o", &format!("user_config_dir={}", dir.0.display())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("carol:1: local_umask:"));
}

#[test]
fn delay_successful_login_slows_the_230() {
    let srv = TestServer::start(&[("delay_successful_login", "1")]);
    let mut c = srv.connect();
    c.cmd("USER alice");
    let asked = Instant::now();
    assert_eq!(c.cmd("PASS secret").code, 230);
    assert!(asked.elapsed() >= Duration::from_millis(990), "answered after {:?}", asked.elapsed());
}

#[test]
fn cmds_allowed_and_cmds_denied() {
    let srv = TestServer::start(&[("cmds_allowed", "USER,PASS,PWD,XPWD,QUIT")]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("PWD").code, 257);
    assert_eq!(c.cmd("CWD /").lines[0], "550 Permission denied.");
    assert_eq!(c.cmd("NOOP").code, 550);
    // A verb's other spelling (XPWD for PWD) is allowed and denied with it.
    let srv = TestServer::start(&[("cmds_allowed", "USER,PASS,PWD,QUIT")]);
    assert_eq!(srv.alice().cmd("XPWD").code, 257);
    let srv = TestServer::start(&[("cmds_denied", "PWD")]);
    assert_eq!(srv.alice().cmd("XPWD").code, 550);
    let srv = TestServer::start(&[("cmds_denied", "DELE,RMD")]);
    std::fs::write(srv.path("home/alice/f"), "x").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("DELE f").code, 550);
    assert!(srv.path("home/alice/f").exists());
    assert_eq!(c.cmd("MKD d").code, 257);
    assert_eq!(c.cmd("RMD d").code, 550);
}

#[test]
fn download_file_and_upload_file_restrict_names() {
    let srv = TestServer::start(&[("download_file", "*.txt"), ("upload_file", "{*.txt,*.csv}")]);
    std::fs::write(srv.path("home/alice/a.txt"), "yes").unwrap();
    std::fs::write(srv.path("home/alice/a.bin"), "no").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.retr("a.txt"), b"yes");
    assert_eq!(c.cmd("RETR a.bin").code, 550);
    assert_eq!(c.upload("STOR b.csv", b"1,2").code, 226);
    assert_eq!(c.cmd("STOR b.exe").code, 550);
}

#[test]
fn dirlist_enable_no_refuses_listings() {
    let srv = TestServer::start(&[("dirlist_enable", "NO")]);
    std::fs::write(srv.path("home/alice/f"), "x").unwrap();
    let mut c = srv.alice();
    let _data = c.epsv();
    assert_eq!(c.cmd("LIST").lines[0], "550 Permission denied.");
    assert_eq!(c.cmd("NLST").code, 550);
    assert_eq!(c.cmd("MLSD").code, 550);
    assert_eq!(c.cmd("STAT f").code, 550);
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.retr("f"), b"x", "downloads still work");
}

#[test]
fn force_dot_files_shows_them_without_ls_a() {
    let srv = TestServer::start(&[("force_dot_files", "YES")]);
    std::fs::write(srv.path("home/alice/.profile"), "x").unwrap();
    let mut c = srv.alice();
    assert!(c.listing("LIST").contains(" .profile\r\n"));
    assert!(c.listing("NLST").contains(".profile\r\n"));
}

#[test]
fn ls_recurse_enable_allows_list_r() {
    let setup = |srv: &TestServer| {
        std::fs::create_dir_all(srv.path("home/alice/sub/deeper")).unwrap();
        std::fs::write(srv.path("home/alice/sub/deeper/leaf.txt"), "x").unwrap();
    };
    let srv = TestServer::start(&[("ls_recurse_enable", "YES")]);
    setup(&srv);
    let mut c = srv.alice();
    let list = c.listing("LIST -R");
    assert!(list.contains("\r\n./sub:\r\n") && list.contains("\r\n./sub/deeper:\r\n"), "{list}");
    assert!(list.contains(" leaf.txt\r\n"), "{list}");
    let srv = TestServer::start(&[]);
    setup(&srv);
    let mut c = srv.alice();
    assert!(!c.listing("LIST -R").contains("leaf.txt"), "off by default, as in vsftpd");
}

/// LIST -R descends 32 directory levels below the listed one, no deeper.
#[test]
fn list_r_stops_at_32_levels() {
    let srv = TestServer::start(&[("ls_recurse_enable", "YES")]);
    std::fs::create_dir_all(srv.path(&format!("home/alice{}", "/d".repeat(34)))).unwrap();
    let list = srv.alice().listing("LIST -R");
    let header = |levels: usize| format!("\r\n.{}:\r\n", "/d".repeat(levels));
    assert!(list.contains(&header(32)), "{list}");
    assert!(!list.contains(&header(33)), "{list}");
}

#[test]
fn ascii_download_and_upload_enable() {
    let srv = TestServer::start(&[("ascii_download_enable", "NO"), ("ascii_upload_enable", "NO")]);
    std::fs::write(srv.path("home/alice/text"), "a\nb\n").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE A").code, 200);
    assert_eq!(c.retr("text"), b"a\nb\n", "sent as it is");
    assert_eq!(c.upload("STOR up", b"c\r\nd\r\n").code, 226);
    assert_eq!(std::fs::read(srv.path("home/alice/up")).unwrap(), b"c\r\nd\r\n", "stored as it is");
    // rftpd's default converts (RFC 959 §3.1.1.1).
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/text"), "a\nb\n").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.retr("text"), b"a\r\nb\r\n");
}

#[test]
fn use_sendfile_no_still_sends_byte_exact() {
    let srv = TestServer::start(&[("use_sendfile", "NO")]);
    let body = pattern(3 << 20, 9);
    std::fs::write(srv.path("home/alice/big"), &body).unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert!(c.retr("big") == body);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.cmd("REST 1000").code, 350);
    assert!(c.retr("big") == body[1000..]);
}

#[test]
fn chmod_enable_and_site_for_anonymous() {
    let srv = TestServer::start(&[("chmod_enable", "NO"), ("anon_other_write_enable", "YES")]);
    std::fs::write(srv.path("home/alice/f"), "x").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("SITE CHMOD 600 f").lines[0], "550 Permission denied.");
    let mut anon = srv.login("anonymous", "x");
    assert_eq!(anon.cmd("SITE UMASK 000").code, 550, "anonymous users get no SITE at all");
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/f"), "x").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("SITE CHMOD 640 f").code, 200);
    assert_eq!(std::fs::metadata(srv.path("home/alice/f")).unwrap().permissions().mode() & 0o7777, 0o640);
}

#[test]
fn mdtm_write_sets_the_time() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/f"), "x").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("MDTM 20231114221320 f").lines[0], "213 File modification time set.");
    assert_eq!(std::fs::metadata(srv.path("home/alice/f")).unwrap().mtime(), 1_700_000_000);
    let srv = TestServer::start(&[("mdtm_write", "NO")]);
    std::fs::write(srv.path("home/alice/f"), "x").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("MDTM 20231114221320 f").code, 550, "read as a file name");
}

#[test]
fn delete_failed_uploads_removes_what_an_append_left() {
    for (delete, survives) in [("YES", false), ("NO", true)] {
        let srv = TestServer::start(&[("delete_failed_uploads", delete), ("data_connection_timeout", "1")]);
        let mut c = srv.alice();
        assert_eq!(c.cmd("TYPE I").code, 200);
        let mut data = c.epsv();
        assert_eq!(c.cmd("APPE part").code, 150);
        data.write_all(b"some data").unwrap();
        // The client goes silent: the data connection times out, the upload fails.
        assert_eq!(c.reply().code, 426);
        drop(data);
        assert_eq!(srv.path("home/alice/part").exists(), survives, "delete_failed_uploads={delete}");
        // A failed download is no failed upload: its file stays.
        srv.big_file();
        let _data = c.start_big_retr();
        c.abor_running();
        assert!(srv.path("home/alice/huge.bin").exists(), "delete_failed_uploads={delete}");
    }
}

#[test]
fn pasv_addr_resolve_takes_a_host_name() {
    let srv = TestServer::start(&[("pasv_address", "localhost"), ("pasv_addr_resolve", "YES")]);
    let mut c = srv.alice();
    let r = c.cmd("PASV");
    assert!(r.lines[0].starts_with("227 Entering Passive Mode (127,0,0,1,"), "{r:?}");
    let out = rftpd(&["--check-config", "-c", "/dev/null", "-o", "pasv_address=localhost", "-o", "user_file="]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pasv_address: 'localhost' is not an IP address"));
}

#[test]
fn ftp_data_port_is_the_source_port_of_active_connections() {
    let srv = TestServer::start(&[("connect_from_port_20", "YES"), ("ftp_data_port", "2020")]);
    std::fs::write(srv.path("home/alice/f"), "x").unwrap();
    let mut c = srv.alice();
    let l = active_listener("127.0.0.1");
    let port = l.local_addr().unwrap().port();
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).code, 200);
    assert_eq!(c.cmd("RETR f").code, 150);
    let mut data = accept(&l);
    assert_eq!(data.peer_addr().unwrap().port(), 2020);
    let mut got = Vec::new();
    data.read_to_end(&mut got).unwrap();
    assert_eq!(c.reply().code, 226);
}

#[test]
fn text_userdb_names_no_shows_numbers() {
    let srv = TestServer::start(&[("text_userdb_names", "NO")]);
    let f = srv.path("home/alice/f");
    std::fs::write(&f, "x").unwrap();
    let meta = std::fs::metadata(&f).unwrap();
    let mut c = srv.alice();
    let list = c.listing("LIST f");
    assert!(list.contains(&format!(" {:<8} {:<8} ", meta.uid(), meta.gid())), "{list}");
}

#[test]
fn dirmessage_enable_shows_message_file_once() {
    let srv = TestServer::start(&[("dirmessage_enable", "YES"), ("message_file", ".msg")]);
    std::fs::create_dir(srv.path("home/alice/pub")).unwrap();
    std::fs::write(srv.path("home/alice/pub/.msg"), "Public files.\nMirror of example.org.\n").unwrap();
    std::fs::write(srv.path("home/alice/.msg"), "Hello alice.\n").unwrap();
    let mut c = srv.connect();
    c.cmd("USER alice");
    let r = c.cmd("PASS secret");
    assert_eq!(r.lines[0], "230-Hello alice.", "the login directory's message: {r:?}");
    let r = c.cmd("CWD pub");
    assert_eq!(r.lines, ["250-Public files.", "Mirror of example.org.", "250 Directory successfully changed."]);
    c.cmd("CWD /");
    assert_eq!(c.cmd("CWD pub").lines.len(), 1, "once per session");
}

#[test]
fn tilde_is_the_login_directory() {
    let srv = TestServer::start(&[("tilde_user_enable", "YES")]);
    std::fs::create_dir(srv.path("home/alice/sub")).unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("CWD sub").code, 250);
    assert_eq!(c.cmd("CWD ~").code, 250);
    assert!(c.cmd("PWD").lines[0].starts_with("257 \"/\""));
    assert_eq!(c.cmd("CWD ~/sub").code, 250);
    // A jailed session sees no other homes: ~bob is a name like any other,
    // and ~bin is not the bin account's /bin even where the jail has a /bin.
    assert_eq!(c.cmd("CWD ~bob").code, 550);
    std::fs::create_dir(srv.path("home/alice/bin")).unwrap();
    assert_eq!(c.cmd("CWD ~bin").code, 550);
    assert_eq!(c.cmd("CWD /bin").code, 250);
}

/// xferlog_std_format=NO writes vsftpd's own log; dual_log_enable both.
#[test]
fn xferlog_std_format_dual_log_and_vsftpd_log_file() {
    let dir = TempDir::new("vslog");
    let vs = dir.0.join("vsftpd.log");
    let xfer = dir.0.join("xferlog");
    let srv = TestServer::start(&[
        ("xferlog_enable", "YES"),
        ("xferlog_std_format", "NO"),
        ("dual_log_enable", "YES"),
        ("vsftpd_log_file", vs.to_str().unwrap()),
        ("xferlog_file", xfer.to_str().unwrap()),
    ]);
    std::fs::write(srv.path("home/alice/f"), "18 bytes of text.\n").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    c.retr("f");
    assert_eq!(c.cmd("MKD made").code, 257);
    let mut bad = srv.connect();
    bad.cmd("USER alice");
    bad.cmd("PASS wrong");
    let deadline = Instant::now() + TIMEOUT;
    let log = loop {
        let log = std::fs::read_to_string(&vs).unwrap_or_default();
        if log.contains("FAIL LOGIN") || Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(log.contains("] CONNECT: Client \"127.0.0.1\""), "{log}");
    assert!(log.contains("[alice] OK LOGIN: Client \"127.0.0.1\""), "{log}");
    assert!(log.contains("[alice] OK DOWNLOAD: Client \"127.0.0.1\", \"/f\", 18 bytes, "), "{log}");
    assert!(log.contains("[alice] OK MKDIR: Client \"127.0.0.1\", \"/made\""), "{log}");
    assert!(log.contains("[alice] FAIL LOGIN: Client \"127.0.0.1\""), "{log}");
    let xferlog = std::fs::read_to_string(&xfer).unwrap();
    assert!(xferlog.contains("/home/alice/f b _ o g alice ftp 0 * c"), "dual: xferlog too: {xferlog}");
}

/// syslog_enable: the server log goes to syslog (facility ftp).
#[test]
fn syslog_enable_sends_the_log_to_syslog() {
    let dir = TempDir::new("syslog");
    let path = dir.0.join("log.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let env = [("RFTPD_SYSLOG_SOCKET", path.to_str().unwrap())];
    // The test harness learns the port from the log: here it is fixed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rftpd"))
        .args(["-c", "/dev/null", "-o", "listen_address=127.0.0.1", "-o", &format!("listen_port={port}")])
        .args(["-o", "syslog_enable=YES", "-o", "log_file=/nonexistent/never.log", "-o", "user_file="])
        .envs(env)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 2048];
    while !seen.contains("listening on") {
        let n = sock.recv(&mut buf).expect("a syslog datagram");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        seen.push('\n');
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.starts_with("<94>"), "facility ftp, severity info: {seen}");
    assert!(seen.contains(&format!("rftpd[{}]: INFO listening on 127.0.0.1:{port}", child.id())), "{seen}");
}

#[test]
fn setproctitle_enable_names_the_session_thread() {
    let srv = TestServer::start(&[("setproctitle_enable", "YES")]);
    let _c = srv.alice();
    let names = || -> Vec<String> {
        std::fs::read_dir(format!("/proc/{}/task", srv.pid()))
            .unwrap()
            .filter_map(|t| std::fs::read_to_string(t.unwrap().path().join("comm")).ok())
            .map(|n| n.trim().to_string())
            .collect()
    };
    let deadline = Instant::now() + TIMEOUT;
    while !names().iter().any(|n| n == "ftp alice") {
        assert!(Instant::now() < deadline, "{:?}", names());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn require_cert_yes_is_refused_not_ignored() {
    let out = rftpd(&["--check-config", "-c", "/dev/null", "-o", "require_cert=YES", "-o", "user_file="]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("require_cert: client certificates are not supported"));
}

/// Runs a Python ftplib FTP_TLS script against `srv` with `args`; it prints "ok".
fn python_tls(srv: &TestServer, script: &str, args: &[&str]) {
    let out = run(Command::new("python3").args(["-c", script, &srv.addr.port().to_string()]).args(args));
    assert_eq!(out.trim(), "ok");
}

const TLS_PRELUDE: &str = r#"
import ftplib, io, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
f = ftplib.FTP_TLS(context=ctx)
f.connect("127.0.0.1", port, timeout=20)
"#;

#[test]
fn allow_anon_ssl_lets_anonymous_use_tls() {
    if !have("openssl") || !have("python3") {
        return;
    }
    let script = format!(
        r#"{TLS_PRELUDE}
allowed = sys.argv[2] == "YES"
f.auth()
try:
    f.login("anonymous", "me@example.org")
    assert allowed, "anonymous logged in over TLS with allow_anon_ssl=NO"
except ftplib.error_perm as e:
    assert not allowed and str(e) == "530 Anonymous sessions may not use encryption.", e
print("ok")
"#
    );
    let certs = TempDir::new("certs");
    let pem = certificate(&certs);
    for allow in ["NO", "YES"] {
        let srv = TestServer::start(&[("ssl_enable", "YES"), ("rsa_cert_file", &pem), ("allow_anon_ssl", allow)]);
        python_tls(&srv, &script, &[allow]);
    }
}

#[test]
fn ssl_ciphers_chooses_the_suites() {
    if !have("openssl") {
        return;
    }
    let certs = TempDir::new("certs");
    let pem = certificate(&certs);
    let srv = TestServer::start(&[
        ("ssl_enable", "YES"),
        ("rsa_cert_file", &pem),
        ("ssl_tlsv1_3", "NO"),
        ("ssl_ciphers", "HIGH:ECDHE-ECDSA-AES128-GCM-SHA256"),
    ]);
    let login = |cipher: &str| {
        let mut child = Command::new("openssl")
            .args(["s_client", "-starttls", "ftp", "-quiet", "-crlf", "-tls1_2", "-cipher", cipher])
            .args(["-connect", &srv.addr.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(b"USER alice\nPASS secret\nQUIT\n");
        let mut out = String::new();
        let _ = child.stdout.take().unwrap().read_to_string(&mut out);
        let _ = child.wait();
        out.contains("230 Login successful.")
    };
    assert!(login("ECDHE-ECDSA-AES128-GCM-SHA256"));
    assert!(!login("ECDHE-ECDSA-AES256-GCM-SHA384"), "not in ssl_ciphers");
}

#[test]
fn strict_ssl_read_eof_fails_an_upload_cut_without_close_notify() {
    if !have("openssl") || !have("python3") {
        return;
    }
    let script = format!(
        r#"{TLS_PRELUDE}
strict = sys.argv[2] == "YES"
f.login("alice", "secret")
f.prot_p()
conn = f.transfercmd("STOR cut.bin")
conn.sendall(b"x" * 1000)
conn.close()  # TCP close with no TLS close_notify
try:
    f.voidresp()
    assert not strict, "strict_ssl_read_eof accepted a cut upload"
except ftplib.error_temp as e:
    assert strict and str(e).startswith("426"), e
print("ok")
"#
    );
    let certs = TempDir::new("certs");
    let pem = certificate(&certs);
    for strict in ["YES", "NO"] {
        let srv = TestServer::start(&[
            ("ssl_enable", "YES"),
            ("rsa_cert_file", &pem),
            ("require_ssl_reuse", "NO"),
            ("strict_ssl_read_eof", strict),
        ]);
        python_tls(&srv, &script, &[strict]);
        assert_eq!(srv.path("home/alice/cut.bin").exists(), strict == "NO", "strict_ssl_read_eof={strict}");
    }
}

/// guest_enable: system logins run as guest_username in its home;
/// virtual_use_local_privs chooses local or anonymous permissions.
#[test]
fn guest_enable_and_virtual_use_local_privs() {
    if !root_or_skip() {
        return;
    }
    let tmp = TempDir::new("guest");
    let user = SystemUser::new("v", &tmp.0.join("home"));
    let guest = SystemUser::new("gu", &tmp.0.join("guesthome"));
    std::os::unix::fs::chown(&guest.home, Some(guest.uid), Some(guest.gid)).unwrap();
    for (local_privs, upload) in [("YES", 226), ("NO", 550)] {
        let srv = TestServer::start(&[
            ("local_enable", "YES"),
            ("ftpusers_file", ""),
            ("guest_enable", "YES"),
            ("guest_username", &guest.name),
            ("virtual_use_local_privs", local_privs),
        ]);
        let mut c = srv.login(&user.name, "secret");
        srv.wait_log(&format!("user={} login ok as={}", user.name, guest.name));
        let r = if upload == 226 { c.upload("STOR g.txt", b"guest") } else { c.cmd("STOR g.txt") };
        assert_eq!(r.code, upload, "virtual_use_local_privs={local_privs}: {r:?}");
        if upload == 226 {
            let made = std::fs::metadata(guest.home.join("g.txt")).unwrap();
            assert_eq!(made.uid(), guest.uid, "written as the guest account, in its home");
        }
    }
}

/// chroot_list_file names the exceptions to chroot_local_user;
/// passwd_chroot_enable jails at the /./ of a home.
#[test]
fn chroot_list_and_passwd_chroot() {
    if !root_or_skip() {
        return;
    }
    let tmp = TempDir::new("chroot");
    let user = SystemUser::new("c", &tmp.0.join("home"));
    let list = tmp.0.join("chroot_list");
    std::fs::write(&list, format!("{}\n", user.name)).unwrap();
    let srv = TestServer::start(&[
        ("local_enable", "YES"),
        ("ftpusers_file", ""),
        ("chroot_list_enable", "YES"),
        ("chroot_list_file", list.to_str().unwrap()),
    ]);
    let mut c = srv.login(&user.name, "secret");
    let pwd = c.cmd("PWD").lines[0].clone();
    assert!(pwd.contains(&format!("\"{}\"", user.home.display())), "listed: not jailed (chroot_local_user=YES): {pwd}");
    // passwd_chroot_enable: home /base/./rest jails in /base, starts in /rest.
    let base = tmp.0.join("base");
    std::fs::create_dir_all(base.join("rest")).unwrap();
    let dotted = format!("{}/./rest", base.display());
    user.usermod(&["-d", &dotted]);
    let srv = TestServer::start(&[("local_enable", "YES"), ("ftpusers_file", ""), ("passwd_chroot_enable", "YES")]);
    let mut c = srv.login(&user.name, "secret");
    assert!(c.cmd("PWD").lines[0].starts_with("257 \"/rest\""));
    assert_eq!(c.cmd("CWD ..").code, 250);
    assert!(c.cmd("PWD").lines[0].starts_with("257 \"/\""));
}

/// tilde_user_enable in a session that sees the whole file system.
#[test]
fn tilde_user_resolves_other_homes_when_unjailed() {
    if !root_or_skip() {
        return;
    }
    let tmp = TempDir::new("tilde");
    let a = SystemUser::new("ta", &tmp.0.join("a"));
    let b = SystemUser::new("tb", &tmp.0.join("b"));
    std::fs::set_permissions(&b.home, PermissionsExt::from_mode(0o755)).unwrap();
    let srv = TestServer::start(&[
        ("local_enable", "YES"),
        ("ftpusers_file", ""),
        ("chroot_local_user", "NO"),
        ("tilde_user_enable", "YES"),
    ]);
    let mut c = srv.login(&a.name, "secret");
    assert_eq!(c.cmd(&format!("CWD ~{}", b.name)).code, 250);
    assert!(c.cmd("PWD").lines[0].contains(&b.home.display().to_string()));
}

/// session_support: logins and logouts in wtmp_file, as `last` reads them.
#[test]
fn session_support_records_logins_in_wtmp() {
    if !root_or_skip() {
        return;
    }
    let dir = TempDir::new("wtmp");
    let wtmp = dir.0.join("wtmp");
    std::fs::write(&wtmp, "").unwrap();
    let srv = TestServer::start(&[("session_support", "YES"), ("wtmp_file", wtmp.to_str().unwrap())]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("QUIT").code, 221);
    srv.wait_log("closed");
    let records = std::fs::read(&wtmp).unwrap();
    assert_eq!(records.len() % 384, 0, "whole utmpx records");
    assert_eq!(records.len() / 384, 2, "a login and a logout");
    if have("last") {
        let out = run(Command::new("last").arg("-f").arg(&wtmp));
        assert!(out.contains("alice") && out.contains("127.0.0.1"), "{out}");
    }
}
