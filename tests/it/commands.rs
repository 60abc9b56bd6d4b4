//! Reply codes for every command, before and after login.

use crate::support::*;

#[test]
fn greeting_syst_noop_help() {
    let srv = TestServer::start(&[("ftpd_banner", "Welcome to the test.")]);
    let mut c = FtpClient::raw(srv.addr);
    assert_eq!(c.reply().lines[0], "220 Welcome to the test.");
    assert_eq!(c.cmd("SYST").lines[0], "215 UNIX Type: L8");
    assert_eq!(c.cmd("NOOP").code, 200);
    let help = c.cmd("HELP");
    assert_eq!(help.code, 214);
    assert!(help.text().contains("RETR"));
    assert_eq!(c.cmd("QUIT").code, 221);
    assert!(c.closed());
}

#[test]
fn feat_matches_protocol_md() {
    let srv = TestServer::start(&[]);
    let mut c = srv.connect();
    let r = c.cmd("FEAT");
    assert_eq!(r.code, 211);
    assert_eq!(r.lines[0], "211-Features:");
    assert_eq!(r.lines.last().unwrap(), "211 End");
    for f in [
        " EPRT",
        " EPSV",
        " MDTM",
        " MLST type*;size*;modify*;perm*;unique*;unix.mode;",
        " PASV",
        " REST STREAM",
        " SIZE",
        " TVFS",
        " UTF8",
    ] {
        assert!(r.lines.iter().any(|l| l == f), "missing {f:?} in {r:?}");
    }
    assert_eq!(c.cmd("OPTS UTF8 ON").code, 200);
    assert_eq!(c.cmd("OPTS MLST type;size;").lines[0], "200 MLST OPTS type;size;");
    assert_eq!(c.cmd("OPTS BOGUS").code, 501);
}

#[test]
fn before_login_530_unknown_500_not_implemented_502() {
    let srv = TestServer::start(&[]);
    let mut c = srv.connect();
    for cmd in ["PWD", "CWD /", "LIST", "RETR x", "PASV", "MKD x", "STAT", "TYPE I"] {
        assert_eq!(c.cmd(cmd).code, 530, "{cmd}");
    }
    assert_eq!(c.cmd("FOOBAR").code, 500);
    assert_eq!(c.cmd("SMNT /").code, 502);
    assert_eq!(c.cmd("AUTH TLS").code, 502);
    assert_eq!(c.cmd("PASS x").code, 503, "PASS without USER is a bad sequence");
    assert_eq!(c.cmd("").code, 500);
    // The session goes on after all of that.
    assert_eq!(c.cmd("NOOP").code, 200);
}

#[test]
fn bad_arguments_501_and_unsupported_504() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE X").code, 501);
    assert_eq!(c.cmd("TYPE E").code, 504);
    assert_eq!(c.cmd("REST abc").code, 501);
    assert_eq!(c.cmd("PORT 1,2,3").code, 501);
    assert_eq!(c.cmd("EPRT |1|::1|5000|").code, 501);
    assert_eq!(c.cmd("MFMT 2024 x").code, 501);
    assert_eq!(c.cmd("CWD").code, 501);
    assert_eq!(c.cmd("STRU R").code, 504);
    assert_eq!(c.cmd("MODE B").code, 504);
    assert_eq!(c.cmd("NOOP please").code, 501);
    c.send_bytes(b"RETR \xff\xfe\r\n");
    assert_eq!(c.reply().code, 501);
    assert_eq!(c.cmd("NOOP").code, 200);
}

#[test]
fn type_stru_mode_allo_acct() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE A").lines[0], "200 Switching to ASCII mode.");
    assert_eq!(c.cmd("TYPE I").lines[0], "200 Switching to Binary mode.");
    assert_eq!(c.cmd("TYPE L 8").code, 200);
    assert_eq!(c.cmd("TYPE A N").code, 200);
    assert_eq!(c.cmd("STRU F").code, 200);
    assert_eq!(c.cmd("MODE S").code, 200);
    assert_eq!(c.cmd("ALLO 1000").code, 202);
    assert_eq!(c.cmd("ACCT x").code, 202);
    assert_eq!(c.cmd("ABOR").code, 225);
    assert_eq!(c.cmd("USER bob").code, 530);
    assert_eq!(c.cmd("PASS x").code, 230);
}

#[test]
fn pwd_cwd_cdup_mkd_rmd() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("PWD").lines[0], "257 \"/\" is the current directory");
    assert_eq!(c.cmd("MKD sub").lines[0], "257 \"/sub\" created");
    assert!(srv.path("home/alice/sub").is_dir());
    assert_eq!(c.cmd("XMKD sub/deeper").code, 257);
    assert_eq!(c.cmd("MKD sub").code, 550, "exists");
    assert_eq!(c.cmd("CWD sub/deeper").code, 250);
    assert_eq!(c.cmd("XPWD").lines[0], "257 \"/sub/deeper\" is the current directory");
    assert_eq!(c.cmd("CDUP").code, 250);
    assert_eq!(c.cmd("PWD").lines[0], "257 \"/sub\" is the current directory");
    assert_eq!(c.cmd("XCUP").code, 250);
    assert_eq!(c.cmd("CWD nowhere").code, 550);
    assert_eq!(c.cmd("RMD sub").code, 550, "not empty");
    assert_eq!(c.cmd("RMD sub/deeper").code, 250);
    assert_eq!(c.cmd("XRMD /sub").code, 250);
    assert!(!srv.path("home/alice/sub").exists());
    // Changes to the file system are logged with session, client and user.
    srv.wait_log("client=127.0.0.1 user=alice MKD /sub/deeper result=ok");
    srv.wait_log("user=alice RMD /sub result=550");
    // RFC 959 appendix II: quotes in a name are doubled.
    assert_eq!(c.cmd("MKD say \"hi\"").lines[0], "257 \"/say \"\"hi\"\"\" created");
}

#[test]
fn dele_rename_size_mdtm_mfmt() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/a.txt"), "one\ntwo\n").unwrap();
    let mut c = srv.alice();
    // RFC 959: TYPE A is the default; RFC 3659 §4: SIZE counts what would be sent.
    assert_eq!(c.cmd("SIZE a.txt").lines[0], "213 10", "TYPE A: two LFs sent as CRLF");
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.cmd("SIZE a.txt").lines[0], "213 8");
    assert_eq!(c.cmd("SIZE /").code, 550);
    assert_eq!(c.cmd("MFMT 20240601120000 a.txt").lines[0], "213 Modify=20240601120000; /a.txt");
    assert_eq!(c.cmd("MDTM a.txt").lines[0], "213 20240601120000");
    assert_eq!(c.cmd("RNTO b.txt").code, 503, "RNTO without RNFR");
    assert_eq!(c.cmd("RNFR a.txt").code, 350);
    assert_eq!(c.cmd("RNTO b.txt").code, 250);
    assert!(srv.path("home/alice/b.txt").exists() && !srv.path("home/alice/a.txt").exists());
    assert_eq!(c.cmd("RNFR b.txt").code, 350);
    assert_eq!(c.cmd("NOOP").code, 200);
    assert_eq!(c.cmd("RNTO c.txt").code, 503, "any other command cancels RNFR");
    assert_eq!(c.cmd("RNFR missing").code, 550);
    assert_eq!(c.cmd("DELE b.txt").code, 250);
    assert_eq!(c.cmd("DELE b.txt").code, 550);
    assert_eq!(c.cmd("MKD d").code, 257);
    assert_eq!(c.cmd("DELE d").code, 550, "DELE refuses directories");
}

#[test]
fn site_chmod_umask_help() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/f"), "x").unwrap();
    let mut c = srv.alice();
    assert_eq!(c.cmd("SITE HELP").code, 214);
    assert_eq!(c.cmd("SITE CHMOD 600 f").code, 200);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(srv.path("home/alice/f")).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(c.cmd("SITE CHMOD 99x f").code, 501);
    assert_eq!(c.cmd("SITE UMASK").lines[0], "200 Your current UMASK is 022");
    assert_eq!(c.cmd("SITE UMASK 1000").code, 501, "a umask has nine bits");
    assert_eq!(c.cmd("SITE UMASK 077").code, 200);
    assert_eq!(c.cmd("MKD private").code, 257);
    assert_eq!(std::fs::metadata(srv.path("home/alice/private")).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(c.cmd("SITE EXEC ls").code, 500);
}

#[test]
fn stat_without_and_with_path() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/f.txt"), "abc").unwrap();
    let mut c = srv.alice();
    let r = c.cmd("STAT");
    assert_eq!(r.code, 211);
    assert!(r.text().contains("Logged in as alice"), "{r:?}");
    assert_eq!(r.lines.last().unwrap(), "211 End of status");
    let r = c.cmd("STAT /");
    assert_eq!(r.code, 213);
    assert!(r.lines.iter().any(|l| l.starts_with("-rw-") && l.ends_with(" f.txt")), "{r:?}");
}

#[test]
fn rein_returns_to_login() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("REIN").code, 220);
    assert_eq!(c.cmd("PWD").code, 530);
    assert_eq!(c.cmd("USER bob").code, 331);
    assert_eq!(c.cmd("PASS secret").code, 230);
}

#[test]
fn overlong_line_gets_500_and_session_goes_on() {
    let srv = TestServer::start(&[]);
    let mut c = srv.connect();
    let long = format!("NOOP {}\r\n", "x".repeat(20_000));
    c.send_bytes(long.as_bytes());
    assert_eq!(c.reply().lines[0], "500 Command line too long.");
    assert_eq!(c.cmd("NOOP").code, 200);
}

#[test]
fn read_only_user_and_anonymous_cannot_write() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/bob/keep"), "x").unwrap();
    let mut bob = srv.login("bob", "secret");
    assert_eq!(bob.cmd("MKD x").code, 550);
    assert_eq!(bob.cmd("DELE keep").code, 550);
    assert_eq!(bob.cmd("RNFR keep").code, 550);
    assert_eq!(bob.cmd("SITE CHMOD 777 keep").code, 550);
    assert_eq!(bob.cmd("STOR new").code, 550);
    assert!(srv.path("home/bob/keep").exists());
    let mut anon = srv.login("anonymous", "guest@example.org");
    assert_eq!(anon.cmd("MKD x").code, 550);
    assert_eq!(anon.cmd("DELE readme.txt").code, 550);
    assert_eq!(anon.cmd("STOR up.txt").code, 550);
    assert_eq!(anon.retr("readme.txt"), b"hello from anon\r\n", "TYPE A is the default");
}

/// A failure reply starts with vsftpd's words for what failed, then says why.
#[test]
fn failure_replies_say_what_failed_as_vsftpd_does() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    for (cmd, start) in [
        ("CWD nope", "550 Failed to change directory: "),
        ("MKD nope/d", "550 Create directory operation failed: "),
        ("RMD nope", "550 Remove directory operation failed: "),
        ("DELE nope", "550 Delete operation failed: "),
        ("RNFR nope", "550 Rename failed: "),
        ("SIZE nope", "550 Could not get file size: "),
        ("MDTM nope", "550 Could not get modification time: "),
        ("MFMT 20240601120000 nope", "550 Could not set modification time: "),
        ("MLST nope", "550 Could not list: "),
        ("STAT nope", "550 Could not list: "),
        ("SITE CHMOD 644 nope", "550 SITE command failed: "),
    ] {
        let reply = c.cmd(cmd);
        assert!(reply.lines[0].starts_with(start), "{cmd}: {:?}", reply.lines);
    }
    for (cmd, start) in [("RETR nope", "550 Failed to open file: "), ("STOR nope/f", "550 Could not create file: ")] {
        c.cmd("PASV");
        let reply = c.cmd(cmd);
        assert!(reply.lines[0].starts_with(start), "{cmd}: {:?}", reply.lines);
    }
}
