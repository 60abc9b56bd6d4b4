//! Everything a client can reach before it has logged in: USER, PASS,
//! QUIT, REIN, the TLS commands (AUTH, PBSZ, PROT, CCC) and the
//! informational ones (FEAT, OPTS, HELP, SYST, NOOP). It holds no jail and
//! no account: a reviewer checking what a stranger can do reads this
//! module and nothing else. A successful login hands an [`Identity`] to
//! the session, which opens the jail.
//!
//! [`Identity`]: crate::auth::Identity

pub(crate) mod info;
mod login;
pub(crate) mod security;

use super::command::Command;
use super::control::Control;
use super::error::FtpError;
use super::reply::{Reply, ReplyCode};
use super::state::{ClientOptions, Conn, Response};
use crate::auth::Identity;
pub(crate) use login::Enter;

/// Where a not-yet-logged-in session is in the login sequence.
#[derive(Debug)]
pub(crate) enum Stage {
    AwaitingUser,
    AwaitingPass { user: String },
}

/// The pre-login state of a session.
#[derive(Debug)]
pub(crate) struct PreLogin {
    pub(crate) stage: Stage,
    /// Failed logins on this connection (max_login_fails).
    pub(crate) failed_logins: u32,
}

impl Default for PreLogin {
    fn default() -> Self {
        PreLogin { stage: Stage::AwaitingUser, failed_logins: 0 }
    }
}

/// Answers one command before login. `enter` is called with the identity of
/// a successful login; it opens the session's root.
pub(crate) fn handle(
    pre: &mut PreLogin,
    conn: &Conn<'_>,
    control: &Control,
    options: &mut ClientOptions,
    cmd: Command,
    enter: Enter<'_>,
) -> Response {
    let result = match cmd {
        Command::User(name) => return user(pre, conn, control, name, enter),
        Command::Pass(password) => return login::pass(pre, conn, &password, enter),
        Command::Quit => return Response::Close(Reply::new(ReplyCode::GOODBYE, "Goodbye.")),
        Command::Acct => Err(FtpError::UserFirst),
        Command::Feat => Ok(info::feat(options, conn.config)),
        Command::Syst => Ok(info::syst()),
        Command::Help(_) => Ok(info::help()),
        Command::Noop => Ok(info::noop()),
        Command::Opts(arg) => info::opts(options, &arg),
        Command::Rein => {
            pre.stage = Stage::AwaitingUser;
            Ok(Reply::new(ReplyCode::SERVICE_READY, "Service ready for new user."))
        }
        Command::NotImplemented(_) => Err(FtpError::NotImplemented),
        _ => Err(FtpError::NotLoggedIn),
    };
    Response::Reply(result.unwrap_or_else(|e| e.reply("")))
}

/// USER: refused when this kind of login must (or, anonymous, may not)
/// come over TLS, or by userlist_file; with no_anon_password an anonymous
/// USER logs in at once.
fn user(pre: &mut PreLogin, conn: &Conn<'_>, control: &Control, name: String, enter: Enter<'_>) -> Response {
    // A test-only trigger, in debug builds alone: the pool's panic guard is
    // tested by sessions that panic on this USER name.
    #[cfg(debug_assertions)]
    if std::env::var("RFTPD_TEST_PANIC_USER").is_ok_and(|u| u == name) {
        panic!("test panic for USER {name}");
    }
    let config = conn.config;
    if let Err(e) = security::login_allowed(config, control, &name) {
        return Response::Reply(e.reply(""));
    }
    if let Some(list) = &conn.server.lists.userlist {
        let listed = list.contains(&name);
        if listed == config.userlist_deny {
            log::info!(
                "session={} client={} user={} refused by userlist_file",
                conn.sid,
                conn.peer.ip(),
                log_text(&name)
            );
            return login::failed(pre, conn, &name, FtpError::UserRefused, crate::auth::AuthError::Denied);
        }
    }
    let anonymous = config.anonymous_enable && crate::auth::is_anonymous_name(&name);
    pre.stage = Stage::AwaitingPass { user: name };
    if anonymous && config.no_anon_password {
        return login::pass(pre, conn, "", enter);
    }
    Response::Reply(Reply::new(ReplyCode::NEED_PASSWORD, "Please specify the password."))
}

/// Client text as the log shows it.
fn log_text(s: &str) -> std::borrow::Cow<'_, str> {
    crate::log::printable(s)
}

/// What a successful login makes of the identity, for the log.
fn describe(id: &Identity) -> String {
    id.run_as.as_ref().map(|r| format!(" as={}", r.account)).unwrap_or_default()
}
