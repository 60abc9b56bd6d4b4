//! SITE HELP, SITE CHMOD, SITE UMASK.

use super::{LoggedIn, require};
use crate::auth::AccountKind;
use crate::ftp::error::{FtpError, FtpResult};
use crate::ftp::reply::{Reply, ReplyCode};

/// SITE: never for anonymous users (as vsftpd: they could otherwise
/// loosen the permissions of what they upload).
pub(crate) fn site(s: &mut LoggedIn, arg: &str) -> FtpResult {
    require(s.identity.kind != AccountKind::Anonymous)?;
    let (sub, rest) = arg.split_once(' ').unwrap_or((arg, ""));
    match sub.to_ascii_uppercase().as_str() {
        "HELP" => Ok(Reply::new(ReplyCode::HELP, "CHMOD UMASK HELP")),
        "CHMOD" => chmod(s, rest),
        "UMASK" => umask(s, rest.trim()),
        _ => Err(FtpError::UnknownSite),
    }
}

/// SITE CHMOD (chmod_enable): permission bits only, 0 to 0777 — never
/// setuid, setgid or sticky, which would turn an upload into a program
/// that runs as its owner.
fn chmod(s: &mut LoggedIn, rest: &str) -> FtpResult {
    require(s.config.chmod_enable)?;
    let (mode, file) = rest.split_once(' ').ok_or(FtpError::BadArgument("SITE CHMOD needs a mode and a file name."))?;
    let mode = u32::from_str_radix(mode, 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or(FtpError::BadArgument("SITE CHMOD: bad mode (0 to 0777)."))?;
    require(s.identity.perms.overwrite)?;
    let path = s.path(file)?;
    s.jail.chmod(&path, mode)?;
    Ok(Reply::new(ReplyCode::OK, "SITE CHMOD command ok."))
}

fn umask(s: &mut LoggedIn, value: &str) -> FtpResult {
    if value.is_empty() {
        return Ok(Reply::new(ReplyCode::OK, format!("Your current UMASK is 0{:02o}", s.umask)));
    }
    match u32::from_str_radix(value, 8) {
        Ok(m) if m <= 0o777 => {
            s.umask = m;
            Ok(Reply::new(ReplyCode::OK, format!("UMASK set to 0{m:02o}")))
        }
        _ => Err(FtpError::BadArgument("SITE UMASK: bad value.")),
    }
}
