//! PWD, CWD, CDUP: moving around inside the session's root.

use super::LoggedIn;
use crate::ftp::error::FtpResult;
use crate::ftp::reply::{Reply, ReplyCode, quote_path};

pub(crate) fn pwd(s: &LoggedIn) -> Reply {
    Reply::new(ReplyCode::PATH, format!("{} is the current directory", quote_path(s.cwd.as_str())))
}

pub(crate) fn cwd(s: &mut LoggedIn, text: &str) -> FtpResult {
    let target = s.path(text)?;
    s.jail.check_dir(&target)?;
    s.cwd = target;
    Ok(Reply::new(ReplyCode::FILE_ACTION_OK, "Directory successfully changed."))
}
