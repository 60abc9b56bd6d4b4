//! RFC 4217 (FTP over TLS): AUTH, PBSZ, PROT and CCC, before and after
//! login, and the rule that forces some logins to come over TLS.

use crate::config::Config;
use crate::ftp::command::{Command, ProtLevel};
use crate::ftp::control::Control;
use crate::ftp::error::{AnonymousLogin, FtpError};
use crate::ftp::reply::{Reply, ReplyCode};
use crate::ftp::state::{Conn, Response};
use log::info;
use std::io;

/// Whether the session has logged in (AUTH is refused after USER).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    BeforeLogin,
    LoggedIn,
}

/// AUTH TLS: `234` in plaintext, then the handshake on the same socket.
pub(crate) fn auth(conn: &Conn<'_>, control: &mut Control, mechanism: &str, phase: Phase) -> Response {
    if let Err(e) = check_auth(conn.config, control, mechanism, phase) {
        return Response::Reply(e.reply(""));
    }
    if let Err(e) = control.reply(&Reply::new(ReplyCode::AUTH_OK, "Proceed with negotiation.")) {
        return Response::Hangup(format!("control connection error: {e}"));
    }
    match start_tls(conn, control) {
        Ok(()) => Response::Nothing,
        Err(e) => Response::Hangup(format!("TLS handshake failed: {e}")),
    }
}

fn check_auth(config: &Config, control: &Control, mechanism: &str, phase: Phase) -> Result<(), FtpError> {
    if control.tls().is_some() {
        return Err(FtpError::AlreadyTls);
    }
    if !config.ssl_enable {
        return Err(FtpError::TlsOff);
    }
    if phase == Phase::LoggedIn {
        return Err(FtpError::AuthAfterLogin);
    }
    match mechanism {
        // SSL and TLS-C are old names for the same thing (RFC 4217 §16).
        "TLS" | "TLS-C" | "SSL" | "TLS-P" => Ok(()),
        _ => Err(FtpError::AuthMechanism),
    }
}

/// The TLS handshake on the control connection (after 234, or at once for implicit FTPS).
pub(crate) fn start_tls(conn: &Conn<'_>, control: &mut Control) -> io::Result<()> {
    let tls = conn.server.tls.as_ref().ok_or_else(|| io::Error::other("TLS is not configured"))?;
    let started = tls.for_session().and_then(|session| control.start_tls(session));
    crate::metrics::FTP.tls_handshakes[usize::from(started.is_err())].inc();
    started?;
    let (version, suite) = control.tls().map(|t| t.describe()).unwrap_or_default();
    info!("session={} client={} TLS {version} {suite}", conn.sid, conn.peer.ip());
    Ok(())
}

/// PBSZ, PROT and CCC.
pub(crate) fn protection(control: &mut Control, cmd: &Command) -> Reply {
    set_protection(control, cmd).unwrap_or_else(|e| e.reply(""))
}

fn set_protection(control: &mut Control, cmd: &Command) -> Result<Reply, FtpError> {
    let tls = control.tls_mut().ok_or(FtpError::TlsFirst(cmd.verb()))?;
    match cmd {
        // TLS does its own buffering: the only size is 0 (RFC 4217 §8).
        Command::Pbsz(_) => {
            tls.pbsz = true;
            Ok(Reply::new(ReplyCode::OK, "PBSZ=0"))
        }
        Command::Prot(_) if !tls.pbsz => Err(FtpError::PbszFirst),
        Command::Prot(ProtLevel::Private) => {
            tls.private = true;
            Ok(Reply::new(ReplyCode::OK, "PROT now Private."))
        }
        Command::Prot(ProtLevel::Clear) => {
            tls.private = false;
            Ok(Reply::new(ReplyCode::OK, "PROT now Clear."))
        }
        Command::Prot(_) => Err(FtpError::ProtLevelUnsupported),
        // Going back to plaintext would let anyone on the path rewrite commands.
        _ => Err(FtpError::CccRefused),
    }
}

/// Refuses a USER that must come over TLS and did not, and an anonymous
/// USER over TLS unless allow_anon_ssl (or force_anon_logins_ssl) says it may.
pub(crate) fn login_allowed(config: &Config, control: &Control, user: &str) -> Result<(), FtpError> {
    let anonymous_name = config.anonymous_enable && crate::auth::is_anonymous_name(user);
    if anonymous_name && control.tls().is_some() && !config.allow_anon_ssl && !config.force_anon_logins_ssl {
        return Err(FtpError::AnonymousTlsRefused);
    }
    if !config.ssl_enable || control.tls().is_some() {
        return Ok(());
    }
    let (forced, anonymous) = if anonymous_name {
        (config.force_anon_logins_ssl, AnonymousLogin::Anonymous)
    } else {
        (config.force_local_logins_ssl, AnonymousLogin::NotAnonymous)
    };
    if forced { Err(FtpError::LoginNeedsTls { anonymous }) } else { Ok(()) }
}
