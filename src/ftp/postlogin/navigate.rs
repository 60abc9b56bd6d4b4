//! PWD, CWD, CDUP: moving around inside the session's root.

use super::LoggedIn;
use crate::ftp::error::FtpResult;
use crate::ftp::reply::{Reply, ReplyCode, quote_path};

pub(crate) fn pwd(s: &LoggedIn) -> Reply {
    Reply::new(ReplyCode::PATH, format!("{} is the current directory", quote_path(s.cwd.as_str())))
}

/// CWD, with the directory's message the first time (dirmessage_enable).
pub(crate) fn cwd(s: &mut LoggedIn, text: &str) -> FtpResult {
    let target = s.path(text)?;
    s.jail.check_dir(&target)?;
    let message = s.enter_message(&target);
    s.cwd = target;
    let done = "Directory successfully changed.";
    Ok(match message.split_first() {
        None => Reply::new(ReplyCode::FILE_ACTION_OK, done),
        Some((first, rest)) => Reply::multi(ReplyCode::FILE_ACTION_OK, first.clone(), rest.to_vec(), done),
    })
}
