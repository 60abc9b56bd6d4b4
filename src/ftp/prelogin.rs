//! Everything an unauthenticated client can reach: USER, PASS, QUIT and the
//! informational commands. Holds no jail; a reviewer checking what a
//! stranger can do reads this file and nothing else.

use super::Env;
use super::command::Command;
use super::handlers::{self, LoggedIn, Response};
use super::reply::Reply;
use super::session::{Options, Phase};
use crate::auth::{self, AuthError};
use crate::sys::creds;
use log::{info, warn};
use std::time::Instant;

pub fn handle(phase: &mut Phase, env: &Env<'_>, options: &mut Options, cmd: Command) -> Response {
    let reply = match cmd {
        Command::User(name) => {
            *phase = Phase::AwaitingPass { user: name };
            Reply::new(331, "Please specify the password.")
        }
        Command::Pass(password) => return login(phase, env, options, &password),
        Command::Quit => return Response::Close(Reply::new(221, "Goodbye.")),
        Command::Acct => Reply::new(503, "Login with USER first."),
        Command::Feat => handlers::info::feat(options, env.config),
        Command::Syst => handlers::info::syst(),
        Command::Help(_) => handlers::info::help(),
        Command::Noop => handlers::info::noop(),
        Command::Opts(arg) => handlers::info::opts(options, &arg),
        Command::Rein => {
            *phase = Phase::AwaitingUser;
            Reply::new(220, "Service ready for new user.")
        }
        Command::NotImplemented(_) => Reply::new(502, "Command not implemented."),
        _ => Reply::new(530, "Please login with USER and PASS."),
    };
    Response::Reply(reply)
}

fn login(phase: &mut Phase, env: &Env<'_>, options: &mut Options, password: &str) -> Response {
    let Phase::AwaitingPass { user } = std::mem::replace(phase, Phase::AwaitingUser) else {
        return Response::Reply(Reply::new(503, "Login with USER first."));
    };
    let (sid, ip) = (env.sid, env.peer.ip());
    // An earlier session's identity may linger on this worker; only an
    // anonymous login reads nothing the daemon alone may read (the users
    // file, /etc/shadow and PAM are checked with the worker's own rights).
    if !auth::is_anonymous_name(&user) {
        creds::unpark();
    }
    // Whether this worker may run sessions as other accounts (root's capabilities).
    let can_switch = creds::can_switch();
    let result = auth::authenticate(env.config, &env.shared.users, &env.shared.accounts, &user, password, can_switch)
        .and_then(|id| {
            let root = id.root.display().to_string();
            LoggedIn::new(id, &env.shared.roots, &env.config.deny_file)
                .map_err(|e| AuthError::Refused(format!("cannot open root directory {root}: {e}")))
        });
    match result {
        Ok(li) => {
            let run_as = li.identity.run_as.as_ref().map(|r| format!(" as={}", r.account)).unwrap_or_default();
            info!("session={sid} client={ip} user={} login ok{run_as}", li.identity.name);
            env.shared.lifecycle.abuse.login_ok(ip, Instant::now());
            *phase = Phase::LoggedIn(Box::new(li));
            Response::Reply(Reply::new(230, "Login successful."))
        }
        Err(e) => {
            match &e {
                AuthError::UsersFile(msg) => warn!("session={sid} users file error: {msg}"),
                AuthError::Refused(why) => warn!("session={sid} client={ip} user={user} login refused: {why}"),
                AuthError::Denied => {}
            }
            info!("session={sid} client={ip} user={user} login failed");
            options.failed_logins += 1;
            std::thread::sleep(env.config.delay_failed_login);
            let reply = Reply::new(530, "Login incorrect.");
            let (ban_after, ban_for) = (env.config.ban_after, env.config.ban_seconds);
            if env.shared.lifecycle.abuse.login_failed(ip, ban_after, ban_for, Instant::now()) {
                warn!("session={sid} client={ip} banned for {}s after {ban_after} failed logins", ban_for.as_secs());
                return Response::Close(reply);
            }
            let max = env.config.max_login_fails;
            if max > 0 && options.failed_logins >= max { Response::Close(reply) } else { Response::Reply(reply) }
        }
    }
}
