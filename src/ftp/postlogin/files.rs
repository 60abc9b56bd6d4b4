//! MKD, RMD, DELE, RNFR/RNTO, SIZE, MDTM, MFMT: file operations that need no
//! data connection.

use super::{LoggedIn, require};
use crate::ascii;
use crate::ftp::command::TransferType;
use crate::ftp::error::{FtpError, FtpResult};
use crate::ftp::format::timeval;
use crate::ftp::reply::{Reply, ReplyCode, quote_path};
use crate::jail::{VirtualPath, is_dir, is_regular};
use crate::limits::MAX_ASCII_SIZE_SCAN;
use std::io::Read;

pub(crate) fn mkd(s: &mut LoggedIn, text: &str) -> FtpResult {
    require(s.identity.perms.mkdir)?;
    let path = s.path(text)?;
    s.jail.mkdir(&path, 0o777 & !s.umask)?;
    Ok(Reply::new(ReplyCode::PATH, format!("{} created", quote_path(path.as_str()))))
}

pub(crate) fn rmd(s: &mut LoggedIn, text: &str) -> FtpResult {
    require(s.identity.perms.rmdir)?;
    let path = s.path(text)?;
    s.jail.rmdir(&path)?;
    Ok(Reply::new(ReplyCode::FILE_ACTION_OK, "Remove directory operation successful."))
}

pub(crate) fn dele(s: &mut LoggedIn, text: &str) -> FtpResult {
    require(s.identity.perms.delete)?;
    let path = s.path(text)?;
    if is_dir(&s.jail.lstat(&path)?) {
        return Err(std::io::Error::from(std::io::ErrorKind::IsADirectory).into());
    }
    s.jail.remove_file(&path)?;
    Ok(Reply::new(ReplyCode::FILE_ACTION_OK, "Delete operation successful."))
}

pub(crate) fn rnfr(s: &mut LoggedIn, text: &str) -> FtpResult {
    require(s.identity.perms.rename)?;
    let path = s.path(text)?;
    s.jail.lstat(&path)?;
    s.rename_from = Some(path);
    Ok(Reply::new(ReplyCode::PENDING, "Ready for RNTO."))
}

pub(crate) fn rnto(s: &mut LoggedIn, from: Option<VirtualPath>, text: &str) -> FtpResult {
    let from = from.ok_or(FtpError::RnfrRequired)?;
    require(s.identity.perms.rename)?;
    let to = s.path(text)?;
    s.jail.rename(&from, &to)?;
    Ok(Reply::new(ReplyCode::FILE_ACTION_OK, "Rename successful."))
}

/// SIZE (RFC 3659 §4): the bytes a RETR in the current TYPE would send. In
/// TYPE A that means reading the file to count line ends, so files above
/// [`MAX_ASCII_SIZE_SCAN`] get 550 instead of a wrong number.
pub(crate) fn size(s: &mut LoggedIn, text: &str) -> FtpResult {
    let path = s.path(text)?;
    let st = s.jail.stat(&path)?;
    if !is_regular(&st) {
        return Err(FtpError::NotRegularFile);
    }
    if s.transfer_type == TransferType::Image {
        return Ok(Reply::new(ReplyCode::FILE_STATUS, st.st_size.to_string()));
    }
    if st.st_size as u64 > MAX_ASCII_SIZE_SCAN {
        return Err(FtpError::AsciiSizeUnavailable);
    }
    let mut file = s.jail.open_read(&path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(FtpError::Io)?;
        if n == 0 {
            break;
        }
        total += ascii::network_len(&buf[..n]);
    }
    Ok(Reply::new(ReplyCode::FILE_STATUS, total.to_string()))
}

/// MDTM name: the modification time. With mdtm_write, `MDTM
/// YYYYMMDDHHMMSS name` sets it instead (as vsftpd and many clients do).
pub(crate) fn mdtm(s: &mut LoggedIn, text: &str) -> FtpResult {
    if s.config.mdtm_write
        && let Some((time, name)) = text.split_once(' ')
        && let Some(secs) = crate::ftp::command::parse_timeval(time)
        && !name.is_empty()
    {
        require(s.identity.perms.overwrite)?;
        let path = s.path(name)?;
        s.jail.set_mtime(&path, secs)?;
        return Ok(Reply::new(ReplyCode::FILE_STATUS, "File modification time set."));
    }
    let path = s.path(text)?;
    let st = s.jail.stat(&path)?;
    if !is_regular(&st) {
        return Err(FtpError::NotRegularFile);
    }
    Ok(Reply::new(ReplyCode::FILE_STATUS, timeval(st.st_mtime)))
}

pub(crate) fn mfmt(s: &mut LoggedIn, secs: i64, text: &str) -> FtpResult {
    require(s.identity.perms.overwrite)?;
    let path = s.path(text)?;
    s.jail.set_mtime(&path, secs)?;
    Ok(Reply::new(ReplyCode::FILE_STATUS, format!("Modify={}; {}", timeval(secs), path)))
}
