//! RFC 4217 (FTP over TLS): AUTH, PBSZ, PROT and CCC, before and after
//! login, and the rules that force TLS on logins and data connections.

use crate::auth::AccountKind;
use crate::config::Config;
use crate::ftp::command::{Command, ProtLevel};
use crate::ftp::control::Control;
use crate::ftp::reply::Reply;

/// What AUTH asks for: the reply, and whether to run the handshake after it.
pub fn auth(config: &Config, control: &Control, mechanism: &str, logged_in: bool) -> (Reply, bool) {
    if control.tls().is_some() {
        return (Reply::new(503, "Already using TLS."), false);
    }
    if !config.ssl_enable {
        return (Reply::new(502, "AUTH not available: TLS is off (ssl_enable=NO)."), false);
    }
    if logged_in {
        return (Reply::new(503, "AUTH must come before USER."), false);
    }
    match mechanism {
        // SSL and TLS-C are old names for the same thing (RFC 4217 §16).
        "TLS" | "TLS-C" | "SSL" | "TLS-P" => (Reply::new(234, "Proceed with negotiation."), true),
        _ => (Reply::new(504, "AUTH mechanism not supported; use AUTH TLS."), false),
    }
}

/// PBSZ, PROT and CCC.
pub fn protection(control: &mut Control, cmd: &Command) -> Reply {
    let Some(tls) = control.tls_mut() else {
        return Reply::new(503, format!("{} needs a TLS connection: AUTH TLS first.", cmd.verb()));
    };
    match cmd {
        // TLS does its own buffering: the only size is 0 (RFC 4217 §8).
        Command::Pbsz(_) => {
            tls.pbsz = true;
            Reply::new(200, "PBSZ=0")
        }
        Command::Prot(_) if !tls.pbsz => Reply::new(503, "PBSZ first."),
        Command::Prot(ProtLevel::Private) => {
            tls.private = true;
            Reply::new(200, "PROT now Private.")
        }
        Command::Prot(ProtLevel::Clear) => {
            tls.private = false;
            Reply::new(200, "PROT now Clear.")
        }
        Command::Prot(_) => Reply::new(536, "PROT level not supported by mechanism."),
        // Going back to plaintext would let anyone on the path rewrite commands.
        _ => Reply::new(534, "CCC refused: the control connection stays encrypted."),
    }
}

/// The 530 for a USER that must come over TLS and did not.
pub fn login_refusal(config: &Config, control: &Control, user: &str) -> Option<Reply> {
    if !config.ssl_enable || control.tls().is_some() {
        return None;
    }
    if config.anonymous_enable && crate::auth::is_anonymous_name(user) {
        config.force_anon_logins_ssl.then(|| Reply::new(530, "Anonymous sessions must use encryption."))
    } else {
        config.force_local_logins_ssl.then(|| Reply::new(530, "Non-anonymous sessions must use encryption."))
    }
}

/// The 522 for a data transfer that must be protected (PROT P) and is not.
pub fn data_refusal(config: &Config, control: &Control, kind: AccountKind) -> Option<Reply> {
    let forced = match kind {
        AccountKind::Anonymous => config.force_anon_data_ssl,
        AccountKind::Virtual | AccountKind::System => config.force_local_data_ssl,
    };
    let private = control.tls().is_some_and(|t| t.private);
    (config.tls_on() && forced && !private).then(|| Reply::new(522, "Data connections must be encrypted: use PROT P."))
}
