//! Why a command failed, and the one place a failure becomes a reply
//! ([`FtpError::reply`]). Each variant names the reply it maps to.

use super::command::ParseError;
use super::reply::{Reply, ReplyCode};
use std::{fmt, io};

/// Which way a transfer was moving data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// RETR, and LIST/NLST/MLSD.
    Download,
    /// STOR, STOU, APPE.
    Upload,
}

#[derive(Debug)]
pub(crate) enum FtpError {
    // ---- Files and permissions ----
    /// A file-system error, mapped by kind: NotFound, PermissionDenied,
    /// AlreadyExists, NotADirectory, IsADirectory, DirectoryNotEmpty and
    /// ELOOP → 550; StorageFull/QuotaExceeded → 452; FileTooLarge → 552;
    /// InvalidInput/InvalidFilename (a bad name, not a regular file) → 553;
    /// anything else → 451. The text starts with the operation.
    Io(io::Error),
    /// The session's permissions or deny_file forbid it → 550 Permission denied.
    NotPermitted,
    /// SIZE or MDTM of a directory or special file → 550 `<operation>: not a regular file.`
    NotRegularFile,
    /// SIZE in TYPE A of a file too large to count → 550.
    AsciiSizeUnavailable,
    /// The listings held in memory by all sessions are at their limit → 451.
    ListingMemory,
    /// MLSD of a file → 501.
    MlsdNotADirectory,
    /// REST past the end of the file (RFC 3659 §5.4) → 554.
    RestartBeyondEnd,
    /// RNTO without RNFR → 503.
    RnfrRequired,

    // ---- Command lines ----
    /// A line that did not parse → 500 (empty, unknown), 501 (bad argument,
    /// not UTF-8) or 504 (a parameter value rftpd does not support).
    Parse(ParseError),
    /// A line longer than `MAX_COMMAND_LINE` → 500.
    LineTooLong,
    /// A verb the RFCs define that rftpd does not implement → 502.
    NotImplemented,
    /// A bad argument the parser could not see (SITE …) → 501 with the reason.
    BadArgument(&'static str),
    /// An unknown SITE subcommand → 500.
    UnknownSite,
    /// OPTS UTF8 OFF: names are always UTF-8 (RFC 2640) → 504.
    Utf8AlwaysOn,

    // ---- Logging in ----
    /// A command other than the pre-login ones before login → 530.
    NotLoggedIn,
    /// PASS or ACCT without USER → 503.
    UserFirst,
    /// A failed login, whatever the reason → 530 Login incorrect.
    LoginIncorrect,
    /// USER after login → 530.
    UserChangeRefused,
    /// USER before AUTH TLS where TLS is forced for this kind of login → 530.
    LoginNeedsTls { anonymous: AnonymousLogin },
    /// USER anonymous over TLS with allow_anon_ssl=NO → 530.
    AnonymousTlsRefused,
    /// USER refused by userlist_file → 530 Permission denied.
    UserRefused,

    // ---- TLS (RFC 4217) ----
    /// AUTH on a connection already encrypted → 503.
    AlreadyTls,
    /// AUTH with ssl_enable=NO → 502.
    TlsOff,
    /// AUTH after login → 503.
    AuthAfterLogin,
    /// AUTH with a mechanism other than TLS/SSL → 504.
    AuthMechanism,
    /// PBSZ, PROT or CCC without TLS → 503 naming the verb.
    TlsFirst(&'static str),
    /// PROT before PBSZ → 503.
    PbszFirst,
    /// PROT S or E → 536.
    ProtLevelUnsupported,
    /// CCC: the control connection stays encrypted → 534.
    CccRefused,
    /// A transfer that must be protected (force_*_data_ssl) without PROT P → 522.
    DataNeedsTls,

    // ---- Data connections ----
    /// A transfer with no PORT/PASV before it → 425.
    NoDataConnection,
    /// The data connection could not be made or accepted in time → 425.
    DataConnectionFailed,
    /// Only other addresses connected to the passive port → 425 Security: Bad IP connecting.
    DataPeerRefused,
    /// No passive port could be opened → 425.
    NoPassivePort,
    /// PASV, PORT or EPRT after EPSV ALL (RFC 2428 §4) → 500.
    AfterEpsvAll,
    /// PORT/EPRT with port_enable=NO → 500.
    ActiveDisabled,
    /// PASV/EPSV with pasv_enable=NO → 500.
    PassiveDisabled,
    /// PASV on an IPv6 control connection → 500.
    PasvNeedsIpv4,
    /// PORT/EPRT to another host or a port below 1024 (RFC 2577 §3) → 500 Illegal PORT command.
    IllegalPort,
    /// EPRT/EPSV naming a network protocol this connection does not use (RFC 2428) → 522 `use (n)`.
    NetworkProtocol(u8),

    // ---- How a transfer ended ----
    /// ABOR, or the session ending under it → 426.
    TransferAborted,
    /// The data connection failed → 426.
    DataConnectionLost(Direction),
    /// Reading or writing the local file failed → 452 when the disk is full, else 451.
    LocalFile(Direction, io::Error),
    /// The data connection's TLS handshake failed → 522.
    DataTls(String),
    /// A PROT P data connection did not resume the control connection's TLS session (require_ssl_reuse) → 522.
    DataTlsNotResumed,
}

/// Which login the TLS requirement concerns, for its reply text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnonymousLogin {
    Anonymous,
    NotAnonymous,
}

impl From<io::Error> for FtpError {
    fn from(e: io::Error) -> Self {
        FtpError::Io(e)
    }
}

impl From<ParseError> for FtpError {
    fn from(e: ParseError) -> Self {
        FtpError::Parse(e)
    }
}

impl FtpError {
    /// The reply the client sees; `what` names the failed operation (vsftpd
    /// style: "Failed to change directory") where the text starts with it.
    pub(crate) fn reply(&self, what: &str) -> Reply {
        use FtpError::*;
        use ReplyCode as C;
        let (code, text): (ReplyCode, String) = match self {
            Io(e) => return io_reply(e, what),
            NotPermitted => (C::FILE_UNAVAILABLE, "Permission denied.".into()),
            NotRegularFile => (C::FILE_UNAVAILABLE, format!("{what}: not a regular file.")),
            AsciiSizeUnavailable => {
                (C::FILE_UNAVAILABLE, "SIZE not available in ASCII mode for files this large; use TYPE I.".into())
            }
            ListingMemory => (C::LOCAL_ERROR, "Too many large listings in progress; try again later.".into()),
            MlsdNotADirectory => (C::BAD_ARGUMENTS, "MLSD: not a directory.".into()),
            RestartBeyondEnd => (C::BAD_RESTART, "Restart offset is beyond the end of the file.".into()),
            RnfrRequired => (C::BAD_SEQUENCE, "RNFR required first.".into()),
            Parse(ParseError::Empty) => (C::UNRECOGNISED, "Empty command.".into()),
            Parse(ParseError::Unknown(_)) => (C::UNRECOGNISED, "Unknown command.".into()),
            Parse(ParseError::BadArgument(why)) => {
                (C::BAD_ARGUMENTS, format!("Syntax error in parameters or arguments: {why}."))
            }
            Parse(ParseError::Unsupported(why)) => {
                (C::NOT_FOR_PARAMETER, format!("Command not implemented for that parameter: {why}."))
            }
            Parse(ParseError::NotUtf8) => (C::BAD_ARGUMENTS, "Command is not valid UTF-8.".into()),
            LineTooLong => (C::UNRECOGNISED, "Command line too long.".into()),
            NotImplemented => (C::NOT_IMPLEMENTED, "Command not implemented.".into()),
            BadArgument(why) => (C::BAD_ARGUMENTS, (*why).into()),
            UnknownSite => (C::UNRECOGNISED, "Unknown SITE command.".into()),
            Utf8AlwaysOn => (C::NOT_FOR_PARAMETER, "UTF8 cannot be turned off.".into()),
            NotLoggedIn => (C::NOT_LOGGED_IN, "Please login with USER and PASS.".into()),
            UserFirst => (C::BAD_SEQUENCE, "Login with USER first.".into()),
            LoginIncorrect => (C::NOT_LOGGED_IN, "Login incorrect.".into()),
            UserChangeRefused => (C::NOT_LOGGED_IN, "Can't change to another user.".into()),
            LoginNeedsTls { anonymous: AnonymousLogin::Anonymous } => {
                (C::NOT_LOGGED_IN, "Anonymous sessions must use encryption.".into())
            }
            LoginNeedsTls { anonymous: AnonymousLogin::NotAnonymous } => {
                (C::NOT_LOGGED_IN, "Non-anonymous sessions must use encryption.".into())
            }
            AnonymousTlsRefused => (C::NOT_LOGGED_IN, "Anonymous sessions may not use encryption.".into()),
            UserRefused => (C::NOT_LOGGED_IN, "Permission denied.".into()),
            AlreadyTls => (C::BAD_SEQUENCE, "Already using TLS.".into()),
            TlsOff => (C::NOT_IMPLEMENTED, "AUTH not available: TLS is off (ssl_enable=NO).".into()),
            AuthAfterLogin => (C::BAD_SEQUENCE, "AUTH must come before USER.".into()),
            AuthMechanism => (C::NOT_FOR_PARAMETER, "AUTH mechanism not supported; use AUTH TLS.".into()),
            TlsFirst(verb) => (C::BAD_SEQUENCE, format!("{verb} needs a TLS connection: AUTH TLS first.")),
            PbszFirst => (C::BAD_SEQUENCE, "PBSZ first.".into()),
            ProtLevelUnsupported => (C::PROT_NOT_SUPPORTED, "PROT level not supported by mechanism.".into()),
            CccRefused => (C::POLICY_DENIED, "CCC refused: the control connection stays encrypted.".into()),
            DataNeedsTls => (C::NEED_ENCRYPTION, "Data connections must be encrypted: use PROT P.".into()),
            NoDataConnection => (C::CANT_OPEN_DATA, "Use PORT or PASV first.".into()),
            DataConnectionFailed => (C::CANT_OPEN_DATA, "Failed to establish connection.".into()),
            DataPeerRefused => (C::CANT_OPEN_DATA, "Security: Bad IP connecting.".into()),
            NoPassivePort => (C::CANT_OPEN_DATA, "Cannot open passive connection.".into()),
            AfterEpsvAll => (C::UNRECOGNISED, "Not allowed after EPSV ALL.".into()),
            ActiveDisabled => (C::UNRECOGNISED, "Active mode (PORT/EPRT) is disabled on this server.".into()),
            PassiveDisabled => (C::UNRECOGNISED, "Passive mode is disabled on this server.".into()),
            PasvNeedsIpv4 => (C::UNRECOGNISED, "PASV is for IPv4; use EPSV on this IPv6 connection.".into()),
            IllegalPort => (C::UNRECOGNISED, "Illegal PORT command.".into()),
            NetworkProtocol(n) => (C::PROTOCOL_NOT_SUPPORTED, format!("Network protocol not supported, use ({n})")),
            TransferAborted => (C::TRANSFER_ABORTED, "Connection closed; transfer aborted.".into()),
            DataConnectionLost(Direction::Upload) => (C::TRANSFER_ABORTED, "Failure reading network stream.".into()),
            DataConnectionLost(Direction::Download) => {
                (C::TRANSFER_ABORTED, "Failure writing network stream.".into())
            }
            LocalFile(_, e) if matches!(e.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded) => {
                (C::INSUFFICIENT_STORAGE, "Insufficient storage space.".into())
            }
            // Without the overwrite right, the name appeared while the data came in.
            LocalFile(Direction::Upload, e) if e.kind() == io::ErrorKind::AlreadyExists => {
                (C::BAD_FILE_NAME, "Could not create file: it exists now and may not be overwritten.".into())
            }
            LocalFile(Direction::Upload, _) => (C::LOCAL_ERROR, "Failure writing to local file.".into()),
            LocalFile(Direction::Download, _) => (C::LOCAL_ERROR, "Failure reading local file.".into()),
            DataTls(why) => (C::NEED_ENCRYPTION, format!("SSL connection failed: {why}.")),
            DataTlsNotResumed => (
                C::NEED_ENCRYPTION,
                "SSL connection failed: session reuse required (a client that cannot resume needs require_ssl_reuse=NO)."
                    .into(),
            ),
        };
        Reply::new(code, text)
    }
}

fn io_reply(e: &io::Error, what: &str) -> Reply {
    use ReplyCode as C;
    use io::ErrorKind::*;
    let (code, why) = match e.kind() {
        NotFound => (C::FILE_UNAVAILABLE, "No such file or directory"),
        PermissionDenied => (C::FILE_UNAVAILABLE, "Permission denied"),
        AlreadyExists => (C::FILE_UNAVAILABLE, "File exists"),
        NotADirectory => (C::FILE_UNAVAILABLE, "Not a directory"),
        IsADirectory => (C::FILE_UNAVAILABLE, "Is a directory"),
        DirectoryNotEmpty => (C::FILE_UNAVAILABLE, "Directory not empty"),
        StorageFull | QuotaExceeded => (C::INSUFFICIENT_STORAGE, "Insufficient storage space"),
        FileTooLarge => (C::EXCEEDED_STORAGE, "File too large"),
        InvalidInput | InvalidFilename => (C::BAD_FILE_NAME, "Not a valid file name or file type"),
        _ if e.raw_os_error() == Some(libc::ELOOP) => (C::FILE_UNAVAILABLE, "Too many levels of symbolic links"),
        _ => (C::LOCAL_ERROR, "Local error"),
    };
    Reply::new(code, format!("{what}: {why}."))
}

impl fmt::Display for FtpError {
    /// The reply text, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FtpError::Io(e) | FtpError::LocalFile(_, e) => write!(f, "{e}"),
            other => f.write_str(&other.reply("failed").summary()),
        }
    }
}

impl std::error::Error for FtpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FtpError::Io(e) | FtpError::LocalFile(_, e) => Some(e),
            _ => None,
        }
    }
}

pub(crate) type FtpResult = Result<Reply, FtpError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_by_kind() {
        let r = FtpError::Io(io::ErrorKind::NotFound.into()).reply("Failed to open file");
        assert_eq!(r, Reply::new(ReplyCode::FILE_UNAVAILABLE, "Failed to open file: No such file or directory."));
        let full = FtpError::Io(io::ErrorKind::StorageFull.into()).reply("x");
        assert_eq!(full.code, ReplyCode::INSUFFICIENT_STORAGE);
        let eloop = FtpError::Io(io::Error::from_raw_os_error(libc::ELOOP)).reply("x");
        assert_eq!(eloop.summary(), "550 x: Too many levels of symbolic links.");
        assert_eq!(FtpError::Io(io::Error::other("?")).reply("x").code, ReplyCode::LOCAL_ERROR);
    }

    #[test]
    fn transfer_endings_by_direction() {
        let full = FtpError::LocalFile(Direction::Upload, io::ErrorKind::StorageFull.into());
        assert_eq!(full.reply("").summary(), "452 Insufficient storage space.");
        assert_eq!(FtpError::DataConnectionLost(Direction::Upload).reply("").code, ReplyCode::TRANSFER_ABORTED);
        assert_eq!(FtpError::NetworkProtocol(2).reply("").summary(), "522 Network protocol not supported, use (2)");
    }
}
