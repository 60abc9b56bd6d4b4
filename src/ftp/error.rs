//! Handler errors and their one mapping to replies.

use super::reply::Reply;
use std::io;

#[derive(Debug)]
pub enum FtpError {
    /// A file-system error; mapped by kind:
    /// NotFound → 550, PermissionDenied → 550, AlreadyExists → 550,
    /// StorageFull/QuotaExceeded → 452, FileTooLarge → 552,
    /// InvalidInput (bad name, not a regular file) → 553, other → 451.
    Io(io::Error),
    /// The session's write policy or deny_file forbids this (→ 550 Permission denied.).
    NotPermitted,
    /// A ready-made reply.
    Reply(Reply),
}

impl From<io::Error> for FtpError {
    fn from(e: io::Error) -> Self {
        FtpError::Io(e)
    }
}

impl From<Reply> for FtpError {
    fn from(r: Reply) -> Self {
        FtpError::Reply(r)
    }
}

impl FtpError {
    /// The reply the client sees; `what` names the failed operation (vsftpd
    /// style: "Failed to change directory.") for the generic cases.
    pub fn reply(self, what: &str) -> Reply {
        match self {
            FtpError::Reply(r) => r,
            FtpError::NotPermitted => Reply::new(550, "Permission denied."),
            FtpError::Io(e) => io_reply(&e, what),
        }
    }
}

fn io_reply(e: &io::Error, what: &str) -> Reply {
    use io::ErrorKind::*;
    match e.kind() {
        NotFound => Reply::new(550, format!("{what}: No such file or directory.")),
        PermissionDenied => Reply::new(550, format!("{what}: Permission denied.")),
        AlreadyExists => Reply::new(550, format!("{what}: File exists.")),
        NotADirectory => Reply::new(550, format!("{what}: Not a directory.")),
        IsADirectory => Reply::new(550, format!("{what}: Is a directory.")),
        DirectoryNotEmpty => Reply::new(550, format!("{what}: Directory not empty.")),
        StorageFull | QuotaExceeded => Reply::new(452, format!("{what}: Insufficient storage space.")),
        FileTooLarge => Reply::new(552, format!("{what}: File too large.")),
        InvalidInput | InvalidFilename => Reply::new(553, format!("{what}: Not a valid file name or file type.")),
        _ if e.raw_os_error() == Some(libc::ELOOP) => {
            Reply::new(550, format!("{what}: Too many levels of symbolic links."))
        }
        _ => Reply::new(451, format!("{what}: Local error.")),
    }
}

pub type FtpResult = Result<Reply, FtpError>;
