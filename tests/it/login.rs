//! USER/PASS, anonymous policy, failed logins, 421 when full.

use crate::support::*;

#[test]
fn anonymous_and_virtual_logins() {
    let srv = TestServer::start(&[]);
    srv.login("anonymous", "me@example.org");
    srv.login("ftp", "");
    srv.login("alice", "secret");
    srv.wait_log("user=alice login ok");
}

#[test]
fn anonymous_is_off_by_default() {
    let srv = Spec { unset: &["anonymous_enable"], ..Spec::default() }.start();
    let mut c = srv.connect();
    assert_eq!(c.cmd("USER anonymous").code, 331);
    assert_eq!(c.cmd("PASS x").lines[0], "530 Login incorrect.");
}

/// delay_failed_login: the 530 for a wrong password comes no sooner than the delay.
#[test]
fn a_failed_login_is_slowed_by_delay_failed_login() {
    let srv = TestServer::start(&[("delay_failed_login", "1")]);
    let mut c = srv.connect();
    assert_eq!(c.cmd("USER alice").code, 331);
    let asked = std::time::Instant::now();
    assert_eq!(c.cmd("PASS wrong").code, 530);
    assert!(asked.elapsed() >= std::time::Duration::from_millis(990), "answered after {:?}", asked.elapsed());
    // A good password is not delayed by it: the session simply logs in.
    assert_eq!(c.cmd("USER alice").code, 331);
    assert_eq!(c.cmd("PASS secret").code, 230);
}

#[test]
fn wrong_password_530_then_disconnect_after_max_login_fails() {
    let srv = TestServer::start(&[("max_login_fails", "2")]);
    let mut c = srv.connect();
    assert_eq!(c.cmd("USER alice").code, 331);
    assert_eq!(c.cmd("PASS wrong").code, 530);
    assert_eq!(c.cmd("USER nobody").code, 331, "unknown users look the same");
    assert_eq!(c.cmd("PASS secret").code, 530);
    assert!(c.closed(), "second failure closes the session");
    srv.wait_log("user=nobody login failed");
}

#[test]
fn pool_full_gets_421_at_once() {
    let srv = TestServer::start(&[("max_clients", "2")]);
    let _a = srv.connect();
    let _b = srv.connect();
    let mut c = FtpClient::raw(srv.addr);
    assert_eq!(c.reply().lines[0], "421 There are too many connected users, please try later.");
    assert!(c.closed());
    drop(_a);
    // The freed worker takes the next session (bounded retry: the worker needs a moment to return).
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let mut d = FtpClient::raw(srv.addr);
        if d.reply().code == 220 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "worker never came back");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn max_per_ip_gets_421() {
    let srv = TestServer::start(&[("max_per_ip", "1")]);
    let _a = srv.connect();
    let mut c = FtpClient::raw(srv.addr);
    assert_eq!(c.reply().lines[0], "421 There are too many connections from your internet address.");
}

#[test]
fn idle_timeout_sends_421() {
    let srv = TestServer::start(&[("idle_session_timeout", "1")]);
    let mut c = srv.connect();
    assert_eq!(c.reply().lines[0], "421 Timeout.");
    assert!(c.closed());
}

/// A session that panics (a test-only trigger in debug builds) costs no
/// worker: after more panics than max_clients, sessions are still served.
#[test]
fn panicking_sessions_never_cost_capacity() {
    let env = [("RFTPD_TEST_PANIC_USER", "boom")];
    let srv = Spec { extra: &[("max_clients", "2")], env: &env, ..Spec::default() }.start();
    // A worker that just caught a panic needs a moment to be idle again:
    // a connection that comes first may be told 421; it tries again.
    let connect = || {
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            let mut c = FtpClient::raw(srv.addr);
            let greeting = c.reply();
            if greeting.code == 220 {
                return c;
            }
            assert!(greeting.code == 421 && std::time::Instant::now() < deadline, "{greeting:?}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    for _ in 0..5 {
        let mut c = connect();
        c.send("USER boom");
        assert!(c.closed(), "the panicking session's connection is closed");
    }
    srv.wait_log("panicked: test panic for USER boom; the worker serves on");
    // The pool has all its places: two sessions at once still fit (before
    // the fix, the fifth panic left none and every client got 421 for good).
    let mut a = connect();
    assert_eq!(a.cmd("USER alice").code, 331);
    assert_eq!(a.cmd("PASS secret").code, 230);
    let mut b = connect();
    assert_eq!(b.cmd("USER bob").code, 331);
    assert_eq!(b.cmd("PASS secret").code, 230);
    assert_eq!(a.cmd("NOOP").code, 200);
    assert_eq!(b.cmd("PWD").code, 257);
}
