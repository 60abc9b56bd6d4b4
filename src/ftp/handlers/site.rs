//! SITE HELP, SITE CHMOD, SITE UMASK.

use super::{LoggedIn, require};
use crate::ftp::error::FtpResult;
use crate::ftp::reply::Reply;

pub fn site(s: &mut LoggedIn, arg: &str) -> FtpResult {
    let (sub, rest) = arg.split_once(' ').unwrap_or((arg, ""));
    match sub.to_ascii_uppercase().as_str() {
        "HELP" => Ok(Reply::new(214, "CHMOD UMASK HELP")),
        "CHMOD" => chmod(s, rest),
        "UMASK" => umask(s, rest.trim()),
        _ => Ok(Reply::new(500, "Unknown SITE command.")),
    }
}

fn chmod(s: &mut LoggedIn, rest: &str) -> FtpResult {
    let Some((mode, file)) = rest.split_once(' ') else {
        return Ok(Reply::new(501, "SITE CHMOD needs a mode and a file name."));
    };
    let Ok(mode) = u32::from_str_radix(mode, 8) else {
        return Ok(Reply::new(501, "SITE CHMOD: bad mode."));
    };
    if mode > 0o7777 {
        return Ok(Reply::new(501, "SITE CHMOD: bad mode."));
    }
    require(s.identity.perms.overwrite)?;
    let path = s.path(file)?;
    s.jail.chmod(&path, mode)?;
    Ok(Reply::new(200, "SITE CHMOD command ok."))
}

fn umask(s: &mut LoggedIn, value: &str) -> FtpResult {
    if value.is_empty() {
        return Ok(Reply::new(200, format!("Your current UMASK is 0{:02o}", s.umask)));
    }
    match u32::from_str_radix(value, 8) {
        Ok(m) if m <= 0o777 => {
            s.umask = m;
            Ok(Reply::new(200, format!("UMASK set to 0{m:02o}")))
        }
        _ => Ok(Reply::new(501, "SITE UMASK: bad value.")),
    }
}
