//! MKD, RMD, DELE, RNFR/RNTO, SIZE, MDTM, MFMT: file operations that need no
//! data connection.

use super::{LoggedIn, require};
use crate::ftp::ascii;
use crate::ftp::command::TransferType;
use crate::ftp::error::{FtpError, FtpResult};
use crate::ftp::format::timeval;
use crate::ftp::reply::{Reply, quote_path};
use crate::jail::{VirtualPath, is_dir, is_regular};
use crate::limits::MAX_ASCII_SIZE_SCAN;
use std::io::Read;

pub fn mkd(s: &mut LoggedIn, text: &str) -> FtpResult {
    require(s.identity.perms.mkdir)?;
    let path = s.path(text)?;
    s.jail.mkdir(&path, 0o777 & !s.umask)?;
    Ok(Reply::new(257, format!("{} created", quote_path(path.as_str()))))
}

pub fn rmd(s: &mut LoggedIn, text: &str) -> FtpResult {
    require(s.identity.perms.rmdir)?;
    let path = s.path(text)?;
    s.jail.rmdir(&path)?;
    Ok(Reply::new(250, "Remove directory operation successful."))
}

pub fn dele(s: &mut LoggedIn, text: &str) -> FtpResult {
    require(s.identity.perms.delete)?;
    let path = s.path(text)?;
    if is_dir(&s.jail.lstat(&path)?) {
        return Err(std::io::Error::from(std::io::ErrorKind::IsADirectory).into());
    }
    s.jail.remove_file(&path)?;
    Ok(Reply::new(250, "Delete operation successful."))
}

pub fn rnfr(s: &mut LoggedIn, text: &str) -> FtpResult {
    require(s.identity.perms.rename)?;
    let path = s.path(text)?;
    s.jail.lstat(&path)?;
    s.rename_from = Some(path);
    Ok(Reply::new(350, "Ready for RNTO."))
}

pub fn rnto(s: &mut LoggedIn, from: Option<VirtualPath>, text: &str) -> FtpResult {
    let Some(from) = from else {
        return Ok(Reply::new(503, "RNFR required first."));
    };
    require(s.identity.perms.rename)?;
    let to = s.path(text)?;
    s.jail.rename(&from, &to)?;
    Ok(Reply::new(250, "Rename successful."))
}

/// SIZE (RFC 3659 §4): the bytes a RETR in the current TYPE would send. In
/// TYPE A that means reading the file to count line ends, so files above
/// [`MAX_ASCII_SIZE_SCAN`] get 550 instead of a wrong number.
pub fn size(s: &mut LoggedIn, text: &str) -> FtpResult {
    let path = s.path(text)?;
    let st = s.jail.stat(&path)?;
    if !is_regular(&st) {
        return Ok(Reply::new(550, "Could not get file size: not a regular file."));
    }
    if s.transfer_type == TransferType::Image {
        return Ok(Reply::new(213, st.st_size.to_string()));
    }
    if st.st_size as u64 > MAX_ASCII_SIZE_SCAN {
        return Ok(Reply::new(550, "SIZE not available in ASCII mode for files this large; use TYPE I."));
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
    Ok(Reply::new(213, total.to_string()))
}

pub fn mdtm(s: &mut LoggedIn, text: &str) -> FtpResult {
    let path = s.path(text)?;
    let st = s.jail.stat(&path)?;
    if !is_regular(&st) {
        return Ok(Reply::new(550, "Could not get modification time: not a regular file."));
    }
    Ok(Reply::new(213, timeval(st.st_mtime)))
}

pub fn mfmt(s: &mut LoggedIn, secs: i64, text: &str) -> FtpResult {
    require(s.identity.perms.overwrite)?;
    let path = s.path(text)?;
    s.jail.set_mtime(&path, secs)?;
    Ok(Reply::new(213, format!("Modify={}; {}", timeval(secs), path)))
}
