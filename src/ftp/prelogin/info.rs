//! FEAT, SYST, HELP, NOOP and OPTS: answers about the server that any
//! client may ask, logged in or not.

use crate::config::Config;
use crate::ftp::error::FtpError;
use crate::ftp::format::FactSet;
use crate::ftp::reply::{Reply, ReplyCode};
use crate::ftp::state::ClientOptions;

pub(crate) fn noop() -> Reply {
    Reply::new(ReplyCode::OK, "NOOP ok.")
}

pub(crate) fn syst() -> Reply {
    Reply::new(ReplyCode::SYSTEM_TYPE, "UNIX Type: L8")
}

/// FEAT (RFC 2389 §3.2: one feature per line, each starting with a space);
/// with TLS configured also AUTH TLS, PBSZ and PROT (RFC 4217 §6).
pub(crate) fn feat(options: &ClientOptions, config: &Config) -> Reply {
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
    Reply::multi(
        ReplyCode::SYSTEM_STATUS,
        "Features:",
        lines.iter().flatten().map(|l| format!(" {l}")).collect(),
        "End",
    )
}

pub(crate) fn help() -> Reply {
    let commands = [
        "ABOR ACCT ALLO APPE AUTH CCC  CDUP CWD  DELE EPRT EPSV FEAT HELP LIST",
        "MDTM MFMT MKD  MLSD MLST MODE NLST NOOP OPTS PASS PASV PBSZ PORT PROT",
        "PWD  QUIT REIN REST RETR RMD  RNFR RNTO SITE SIZE STAT STOR STOU STRU",
        "SYST TYPE USER XCUP XCWD XMKD XPWD XRMD",
    ];
    Reply::multi(
        ReplyCode::HELP,
        "The following commands are recognized.",
        commands.iter().map(|l| format!(" {l}")).collect(),
        "Help OK.",
    )
}

/// OPTS UTF8 (RFC 2640) and OPTS MLST (RFC 3659 §7.9).
pub(crate) fn opts(options: &mut ClientOptions, arg: &str) -> Result<Reply, FtpError> {
    let (name, value) = arg.split_once(' ').unwrap_or((arg, ""));
    match name.to_ascii_uppercase().as_str() {
        "UTF8" if value.eq_ignore_ascii_case("ON") || value.is_empty() => {
            Ok(Reply::new(ReplyCode::OK, "Always in UTF8 mode."))
        }
        "UTF8" if value.eq_ignore_ascii_case("OFF") => Err(FtpError::Utf8AlwaysOn),
        "UTF8" => Err(FtpError::BadArgument("OPTS UTF8 takes ON or OFF.")),
        "MLST" => {
            options.facts = FactSet::parse(value);
            Ok(Reply::new(ReplyCode::OK, format!("MLST OPTS {}", options.facts.selected())))
        }
        _ => Err(FtpError::BadArgument("Option not understood.")),
    }
}
