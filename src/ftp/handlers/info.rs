//! FEAT, SYST, HELP, NOOP, OPTS and STAT without argument: answers about the
//! server and the session. Also reachable before login (except STAT).

use super::LoggedIn;
use crate::config::Config;
use crate::ftp::Env;
use crate::ftp::command::TransferType;
use crate::ftp::data::Pending;
use crate::ftp::format::FactSet;
use crate::ftp::reply::Reply;
use crate::ftp::session::Options;

pub fn noop() -> Reply {
    Reply::new(200, "NOOP ok.")
}

pub fn syst() -> Reply {
    Reply::new(215, "UNIX Type: L8")
}

/// RFC 2389 §3.2: one feature per line, each starting with a space.
/// FEAT (RFC 2389); with TLS configured also AUTH TLS, PBSZ and PROT (RFC 4217 §6).
pub fn feat(options: &Options, config: &Config) -> Reply {
    let tls = config.tls_on();
    let lines = [
        tls.then(|| "AUTH TLS".to_string()),
        Some("EPRT".into()),
        Some("EPSV".into()),
        Some("MDTM".into()),
        Some("MFMT".into()),
        Some(format!("MLST {}", options.facts.feat())),
        Some("PASV".into()),
        tls.then(|| "PBSZ".into()),
        tls.then(|| "PROT".into()),
        Some("REST STREAM".into()),
        Some("SIZE".into()),
        Some("TVFS".into()),
        Some("UTF8".into()),
    ];
    Reply::multi(211, "Features:", lines.iter().flatten().map(|l| format!(" {l}")).collect(), "End")
}

pub fn help() -> Reply {
    let commands = [
        "ABOR ACCT ALLO APPE AUTH CCC  CDUP CWD  DELE EPRT EPSV FEAT HELP LIST",
        "MDTM MFMT MKD  MLSD MLST MODE NLST NOOP OPTS PASS PASV PBSZ PORT PROT",
        "PWD  QUIT REIN REST RETR RMD  RNFR RNTO SITE SIZE STAT STOR STOU STRU",
        "SYST TYPE USER XCUP XCWD XMKD XPWD XRMD",
    ];
    Reply::multi(
        214,
        "The following commands are recognized.",
        commands.iter().map(|l| format!(" {l}")).collect(),
        "Help OK.",
    )
}

/// OPTS UTF8 (RFC 2640) and OPTS MLST (RFC 3659 §7.9).
pub fn opts(options: &mut Options, arg: &str) -> Reply {
    let (name, value) = arg.split_once(' ').unwrap_or((arg, ""));
    match name.to_ascii_uppercase().as_str() {
        "UTF8" if value.eq_ignore_ascii_case("ON") || value.is_empty() => Reply::new(200, "Always in UTF8 mode."),
        "UTF8" if value.eq_ignore_ascii_case("OFF") => Reply::new(504, "UTF8 cannot be turned off."),
        "UTF8" => Reply::new(501, "OPTS UTF8 takes ON or OFF."),
        "MLST" => {
            options.facts = FactSet::parse(value);
            Reply::new(200, format!("MLST OPTS {}", options.facts.selected()))
        }
        _ => Reply::new(501, "Option not understood."),
    }
}

/// STAT without argument: the session's state (RFC 959 §4.1.3).
pub fn status(s: &LoggedIn, env: &Env<'_>) -> Reply {
    let mut lines = vec![
        format!("     Connected to {}", env.peer.ip()),
        format!("     Logged in as {}", s.identity.name),
        format!("     TYPE: {}", if s.transfer_type == TransferType::Ascii { "ASCII" } else { "BINARY" }),
        format!("     Session timeout in seconds is {}", env.config.idle_session_timeout.as_secs()),
    ];
    lines.push(match &s.data {
        None => "     No data connection".into(),
        Some(Pending::Passive(l)) => format!("     Passive mode, listening on port {}", l.port),
        Some(Pending::Active(a)) => format!("     Active mode, will connect to {a}"),
    });
    lines.push("     rftpd".into());
    Reply::multi(211, "FTP server status:", lines, "End of status")
}
