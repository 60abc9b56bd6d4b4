//! PASS: checks the credentials, then either enters the session or counts
//! a failure (a delay, a per-address count towards a ban, and
//! max_login_fails on this connection).

use super::{PreLogin, Stage, describe};
use crate::auth::{self, AccountKind, AuthError, Identity, Switching};
use crate::config::Config;
use crate::ftp::error::FtpError;
use crate::ftp::reply::{Reply, ReplyCode};
use crate::ftp::state::{Conn, Response};
use crate::log::vsftpd::{Event, Line};
use crate::sys::creds;
use log::{info, warn};
use std::sync::Arc;
use std::time::Instant;

/// Opens the session for a logged-in identity under its config (the
/// server's, or the user's own): its root directory. Returns the message
/// of the directory it starts in (dirmessage_enable), for the 230 reply.
pub(crate) type Enter<'a> = &'a mut dyn FnMut(Identity, Arc<Config>) -> std::io::Result<Vec<String>>;

pub(crate) fn pass(pre: &mut PreLogin, conn: &Conn<'_>, password: &str, enter: Enter<'_>) -> Response {
    let Stage::AwaitingPass { user } = std::mem::replace(&mut pre.stage, Stage::AwaitingUser) else {
        return Response::Reply(FtpError::UserFirst.reply(""));
    };
    let (sid, ip) = (conn.sid, conn.peer.ip());
    // A ban stops the address's open sessions too: no password is checked.
    if conn.server.registry.abuse.banned(ip, Instant::now()) {
        info!("session={sid} client={ip} user={} login refused: address banned", crate::log::printable(&user));
        return Response::Close(FtpError::LoginIncorrect.reply(""));
    }
    // An earlier session's identity may linger on this worker; only an
    // anonymous login reads nothing the daemon alone may read (the users
    // file, /etc/shadow and PAM are checked with the worker's own rights).
    if !auth::is_anonymous_name(&user) {
        creds::unpark();
    }
    // Whether this worker may run sessions as other accounts (root's capabilities).
    let switching = if creds::can_switch() { Switching::AsAccounts } else { Switching::OwnAccountOnly };
    let server = conn.server;
    let lists = &server.lists;
    let result = auth::verify(conn.config, &server.users, lists, &user, password, switching)
        .and_then(|verified| {
            let config = user_config(conn, verified.name())?;
            let id = auth::identity(&config, &server.accounts, lists, verified, switching)?;
            Ok((id, config))
        })
        .and_then(|(id, config)| {
            let (name, run_as, root) = (id.name.clone(), describe(&id), id.root.display().to_string());
            let (delay, kind) = (config.delay_successful_login, id.kind);
            enter(id, config)
                .map(|message| (name, run_as, message, delay, kind))
                .map_err(|e| AuthError::Refused(format!("cannot open root directory {root}: {e}")))
        });
    match result {
        Ok((name, run_as, message, delay, kind)) => {
            info!("session={sid} client={ip} user={name} login ok{run_as}");
            crate::metrics::FTP.logins[kind as usize][0].inc();
            let anon_password = auth::is_anonymous_name(&user).then_some(password);
            server.vsftpd_log(Line { user: Some(&user), anon_password, ..Line::new(Event::Login, ip, true) });
            std::thread::sleep(delay);
            let reply = match message.is_empty() {
                true => Reply::new(ReplyCode::LOGGED_IN, "Login successful."),
                false => {
                    Reply::multi(ReplyCode::LOGGED_IN, message[0].clone(), message[1..].to_vec(), "Login successful.")
                }
            };
            Response::Reply(reply)
        }
        Err(e) => failed(pre, conn, &user, FtpError::LoginIncorrect, e),
    }
}

/// The config a user's session runs with: the server's, or with
/// user_config_dir the user's own file on top of it.
fn user_config(conn: &Conn<'_>, name: &str) -> Result<Arc<Config>, AuthError> {
    let dir = conn.config.user_config_dir.as_str();
    // A name that is not one path component never names a file there.
    if dir.is_empty() || name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Ok(conn.server.config.clone());
    }
    let path = format!("{dir}/{name}");
    if !std::path::Path::new(&path).is_file() {
        return Ok(conn.server.config.clone());
    }
    Config::for_user(&conn.server.values, &path)
        .map(Arc::new)
        .map_err(|e| AuthError::Refused(format!("user_config_dir file: {e}")))
}

/// Which kind of account a failed login named, as far as can be told: an
/// anonymous name, a name in the users file, else a system account.
fn kind_of(conn: &Conn<'_>, user: &str) -> AccountKind {
    if auth::is_anonymous_name(user) {
        AccountKind::Anonymous
    } else if matches!(conn.server.users.lookup(user), Ok(Some(_))) {
        AccountKind::Virtual
    } else {
        AccountKind::System
    }
}

/// A failed login: logged, delayed, counted for the address (a ban) and
/// for this connection (max_login_fails); answered with `answer`.
pub(crate) fn failed(pre: &mut PreLogin, conn: &Conn<'_>, user: &str, answer: FtpError, e: AuthError) -> Response {
    let user = crate::log::printable(user);
    let user = user.as_ref();
    let (sid, ip, config) = (conn.sid, conn.peer.ip(), conn.config);
    match &e {
        AuthError::UsersFile(msg) => warn!("session={sid} users file error: {msg}"),
        AuthError::Refused(why) => warn!("session={sid} client={ip} user={user} login refused: {why}"),
        AuthError::Denied => {}
    }
    info!("session={sid} client={ip} user={user} login failed");
    crate::metrics::FTP.logins[kind_of(conn, user) as usize][1].inc();
    conn.server.vsftpd_log(Line { user: Some(user), ..Line::new(Event::Login, ip, false) });
    pre.failed_logins += 1;
    std::thread::sleep(config.delay_failed_login);
    let reply = answer.reply("");
    let (ban_after, ban_for) = (config.ban_after, config.ban_seconds);
    if conn.server.registry.abuse.login_failed(ip, ban_after, ban_for, Instant::now()) {
        warn!("session={sid} client={ip} banned for {}s after {ban_after} failed logins", ban_for.as_secs());
        return Response::Close(reply);
    }
    let max = config.max_login_fails;
    if max > 0 && pre.failed_logins >= max { Response::Close(reply) } else { Response::Reply(reply) }
}
