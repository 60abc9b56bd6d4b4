//! PASS: checks the credentials, then either enters the session or counts
//! a failure (a delay, a per-address count towards a ban, and
//! max_login_fails on this connection).

use super::{PreLogin, Stage, describe};
use crate::auth::{self, AuthError, Identity, Switching};
use crate::ftp::error::FtpError;
use crate::ftp::reply::{Reply, ReplyCode};
use crate::ftp::state::{Conn, Response};
use crate::sys::creds;
use log::{info, warn};
use std::time::Instant;

/// Opens the session for a logged-in identity (its root directory).
pub(crate) type Enter<'a> = &'a mut dyn FnMut(Identity) -> std::io::Result<()>;

pub(crate) fn pass(pre: &mut PreLogin, conn: &Conn<'_>, password: &str, enter: Enter<'_>) -> Response {
    let Stage::AwaitingPass { user } = std::mem::replace(&mut pre.stage, Stage::AwaitingUser) else {
        return Response::Reply(FtpError::UserFirst.reply(""));
    };
    let (sid, ip) = (conn.sid, conn.peer.ip());
    // An earlier session's identity may linger on this worker; only an
    // anonymous login reads nothing the daemon alone may read (the users
    // file, /etc/shadow and PAM are checked with the worker's own rights).
    if !auth::is_anonymous_name(&user) {
        creds::unpark();
    }
    // Whether this worker may run sessions as other accounts (root's capabilities).
    let switching = if creds::can_switch() { Switching::AsAccounts } else { Switching::OwnAccountOnly };
    let server = conn.server;
    let result =
        auth::authenticate(conn.config, &server.users, &server.accounts, &user, password, switching).and_then(|id| {
            let (name, run_as, root) = (id.name.clone(), describe(&id), id.root.display().to_string());
            enter(id)
                .map(|()| (name, run_as))
                .map_err(|e| AuthError::Refused(format!("cannot open root directory {root}: {e}")))
        });
    match result {
        Ok((name, run_as)) => {
            info!("session={sid} client={ip} user={name} login ok{run_as}");
            server.registry.abuse.login_ok(ip, Instant::now());
            Response::Reply(Reply::new(ReplyCode::LOGGED_IN, "Login successful."))
        }
        Err(e) => failed(pre, conn, &user, e),
    }
}

/// A failed login: logged, delayed, counted for the address (a ban) and
/// for this connection (max_login_fails).
fn failed(pre: &mut PreLogin, conn: &Conn<'_>, user: &str, e: AuthError) -> Response {
    let (sid, ip, config) = (conn.sid, conn.peer.ip(), conn.config);
    match &e {
        AuthError::UsersFile(msg) => warn!("session={sid} users file error: {msg}"),
        AuthError::Refused(why) => warn!("session={sid} client={ip} user={user} login refused: {why}"),
        AuthError::Denied => {}
    }
    info!("session={sid} client={ip} user={user} login failed");
    pre.failed_logins += 1;
    std::thread::sleep(config.delay_failed_login);
    let reply = FtpError::LoginIncorrect.reply("");
    let (ban_after, ban_for) = (config.ban_after, config.ban_seconds);
    if conn.server.registry.abuse.login_failed(ip, ban_after, ban_for, Instant::now()) {
        warn!("session={sid} client={ip} banned for {}s after {ban_after} failed logins", ban_for.as_secs());
        return Response::Close(reply);
    }
    let max = config.max_login_fails;
    if max > 0 && pre.failed_logins >= max { Response::Close(reply) } else { Response::Reply(reply) }
}
