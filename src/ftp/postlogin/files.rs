//! MKD, RMD, DELE, RNFR/RNTO, SIZE, MDTM, MFMT: file operations that need no
//! data connection.

use super::{LoggedIn, require};
use crate::ascii;
use crate::ftp::command::TransferType;
use crate::ftp::error::{FtpError, FtpResult};
use crate::ftp::format::timeval;
use crate::ftp::reply::{Reply, ReplyCode, quote_path};
use crate::jail::{Replace, VirtualPath, is_dir, is_regular};
use crate::limits::{MAX_ASCII_SIZE_SCAN, MAX_ASCII_SIZE_SESSION};
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

/// RNTO over an existing name destroys what was there, so it needs the
/// rights that destroying it would: `overwrite` for a file, `delete` and
/// `rmdir` for a directory. Without them the kernel refuses the rename if
/// the name exists when it lands (RENAME_NOREPLACE), so no race gets past.
pub(crate) fn rnto(s: &mut LoggedIn, from: Option<VirtualPath>, text: &str) -> FtpResult {
    let from = from.ok_or(FtpError::RnfrRequired)?;
    require(s.identity.perms.rename)?;
    let to = s.path(text)?;
    let perms = &s.identity.perms;
    let may_replace = match s.jail.lstat(&from) {
        Ok(st) if is_dir(&st) => perms.delete && perms.rmdir,
        _ => perms.overwrite,
    };
    let replace = if may_replace { Replace::Allowed } else { Replace::Never };
    s.jail.rename(&from, &to, replace)?;
    Ok(Reply::new(ReplyCode::FILE_ACTION_OK, "Rename successful."))
}

/// A file as it is now: device, inode, size and modification time.
type FileVersion = (u64, u64, i64, i64, i64);

/// The work SIZE in TYPE A did this session: the last answer (by inode,
/// size and time, so a changed file is read again) and the bytes read.
#[derive(Debug, Default)]
pub(crate) struct AsciiSizes {
    last: Option<(FileVersion, u64)>,
    read: u64,
}

/// SIZE (RFC 3659 §4): the bytes a RETR in the current TYPE would send. In
/// TYPE A that means reading the file to count line ends, so files above
/// [`MAX_ASCII_SIZE_SCAN`] get 550 instead of a wrong number, and a session
/// reads at most [`MAX_ASCII_SIZE_SESSION`] for it.
pub(crate) fn size(s: &mut LoggedIn, text: &str) -> FtpResult {
    let path = s.path(text)?;
    let st = s.jail.stat(&path)?;
    if !is_regular(&st) {
        return Err(FtpError::NotRegularFile);
    }
    if s.transfer_type == TransferType::Image {
        return Ok(Reply::new(ReplyCode::FILE_STATUS, st.st_size.to_string()));
    }
    let key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime, st.st_mtime_nsec);
    if let Some((_, n)) = s.ascii_sizes.last.filter(|(k, _)| *k == key) {
        return Ok(Reply::new(ReplyCode::FILE_STATUS, n.to_string()));
    }
    let len = st.st_size as u64;
    if len > MAX_ASCII_SIZE_SCAN || s.ascii_sizes.read + len > MAX_ASCII_SIZE_SESSION {
        return Err(FtpError::AsciiSizeUnavailable);
    }
    s.ascii_sizes.read += len;
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
    s.ascii_sizes.last = Some((key, total));
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
