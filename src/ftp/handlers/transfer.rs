//! RETR, STOR, APPE, STOU: prepare the file, open the data connection, send
//! 150, start the helper thread; later turn its report into 226/426/451 and
//! an xferlog line. Also ABOR, STAT and NOOP while a transfer runs.

use super::{LoggedIn, Response, require, security};
use crate::auth::AccountKind;
use crate::ftp::Env;
use crate::ftp::command::{Command, TransferType};
use crate::ftp::control::Control;
use crate::ftp::data::{self, DataError, Pending};
use crate::ftp::error::FtpError;
use crate::ftp::reply::Reply;
use crate::ftp::transfer::{DataTls, Outcome, Payload, Running, Sink, TransferReport};
use crate::jail::VirtualPath;
use crate::limits::MAX_UNIQUE_TRIES;
use crate::log::xferlog::{self, AccessMode, Direction, XferRecord};
use log::{info, warn};
use std::io;
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Download,
    Upload,
    Listing,
}

/// What the session remembers about a running transfer, for its final reply and logs.
#[derive(Debug, Clone)]
pub struct TransferInfo {
    pub verb: &'static str,
    pub path: VirtualPath,
    pub kind: Kind,
    pub ascii: bool,
}

fn mode_word(s: &LoggedIn) -> &'static str {
    if s.transfer_type == TransferType::Ascii { "ASCII" } else { "BINARY" }
}

/// Opens the data connection the client set up (PASV/EPSV/PORT/EPRT); it is
/// used once.
fn open_data(s: &mut LoggedIn, env: &Env<'_>) -> Result<TcpStream, Reply> {
    let failed = || Reply::new(425, "Failed to establish connection.");
    let stream = match s.data.take() {
        None => return Err(Reply::new(425, "Use PORT or PASV first.")),
        Some(Pending::Passive(listener)) => listener
            .accept(env.peer.ip(), env.config.accept_timeout, env.config.pasv_promiscuous)
            .map_err(|e| match e {
                DataError::BadIp => Reply::new(425, "Security: Bad IP connecting."),
                DataError::Timeout => failed(),
                DataError::Io(e) => {
                    warn!("session={} passive accept failed: {e}", env.sid);
                    failed()
                }
            })?,
        Some(Pending::Active(target)) => {
            data::connect_active(env.local.ip(), target, env.config.connect_from_port_20, env.config.connect_timeout)
                .map_err(|e| {
                    info!("session={} active connection to {target} failed: {e}", env.sid);
                    failed()
                })?
        }
    };
    let timeout = Some(env.config.data_connection_timeout);
    stream.set_read_timeout(timeout).and_then(|()| stream.set_write_timeout(timeout)).map_err(|_| failed())?;
    Ok(stream)
}

/// Opens the data connection, answers 150 and hands the payload to a helper thread.
pub fn start(
    s: &mut LoggedIn,
    env: &Env<'_>,
    control: &mut Control,
    info: TransferInfo,
    payload: Payload,
    opening: String,
) -> Result<Response, FtpError> {
    if let Some(refusal) = security::data_refusal(env.config, control, s.identity.kind) {
        s.data = None;
        return Ok(Response::Reply(refusal));
    }
    let tls = control
        .tls()
        .filter(|t| t.private)
        .map(|t| DataTls { config: t.data_config.clone(), require_reuse: env.config.require_ssl_reuse });
    let data = open_data(s, env)?;
    control.reply(&Reply::new(150, opening))?;
    let max_rate = match s.identity.kind {
        AccountKind::Anonymous => env.config.anon_max_rate,
        AccountKind::Virtual | AccountKind::System => env.config.local_max_rate,
    };
    let running = Running::start(format!("xfer-{}", env.sid), data, tls, max_rate, payload)?;
    s.running = Some((running, info));
    Ok(Response::Started)
}

pub fn retr(
    s: &mut LoggedIn,
    env: &Env<'_>,
    control: &mut Control,
    restart: u64,
    text: &str,
) -> Result<Response, FtpError> {
    require(s.identity.perms.download)?;
    let path = s.path(text)?;
    let file = s.jail.open_read(&path)?;
    let meta = file.metadata()?;
    // vsftpd's anon_world_readable_only: anonymous uploads (anon_umask 077)
    // can't be fetched back, so the server is no drop point for strangers.
    require(!s.identity.world_readable_only || meta.permissions().mode() & 0o004 != 0)?;
    let size = meta.len();
    if restart > size {
        // RFC 3659 §5.4: a restart marker past the end is an invalid REST parameter.
        s.data = None;
        return Ok(Response::Reply(Reply::new(554, "Restart offset is beyond the end of the file.")));
    }
    let ascii = s.transfer_type == TransferType::Ascii;
    let opening = format!("Opening {} mode data connection for {} ({size} bytes).", mode_word(s), path.file_name());
    let info = TransferInfo { verb: "RETR", path, kind: Kind::Download, ascii };
    start(s, env, control, info, Payload::File { file, offset: restart, ascii }, opening)
}

fn file_mode(s: &LoggedIn, env: &Env<'_>) -> u32 {
    env.config.file_open_mode & !s.umask
}

/// Writing to an existing name needs the overwrite right, creating one the upload right.
fn require_write(s: &LoggedIn, path: &VirtualPath) -> Result<(), FtpError> {
    let exists = s.jail.lstat(path).is_ok();
    require(if exists { s.identity.perms.overwrite } else { s.identity.perms.upload })
}

/// chown_uploads: a file an anonymous user just created goes to chown_username.
fn give_away(s: &LoggedIn, env: &Env<'_>, file: &std::fs::File) -> Result<(), FtpError> {
    let Some((uid, gid, mode)) = s.identity.uploads_to else {
        return Ok(());
    };
    crate::sys::creds::give_away(std::os::fd::AsFd::as_fd(file), uid, gid, mode).map_err(|e| {
        warn!("session={} chown_uploads failed: {e}", env.sid);
        FtpError::Io(e)
    })
}

/// Starts receiving into `sink` (STOR, APPE, STOU).
fn receive(
    s: &mut LoggedIn,
    env: &Env<'_>,
    control: &mut Control,
    verb: &'static str,
    path: VirtualPath,
    sink: Sink,
    opening: String,
) -> Result<Response, FtpError> {
    let ascii = s.transfer_type == TransferType::Ascii;
    let info = TransferInfo { verb, path, kind: Kind::Upload, ascii };
    start(s, env, control, info, Payload::Receive { sink, ascii }, opening)
}

/// STOR replaces a file only once the upload completes (temporary name, then
/// rename). After REST it continues the existing file in place instead.
pub fn stor(
    s: &mut LoggedIn,
    env: &Env<'_>,
    control: &mut Control,
    restart: u64,
    text: &str,
) -> Result<Response, FtpError> {
    let path = s.path(text)?;
    require_write(s, &path)?;
    let sink = if restart > 0 {
        match s.jail.open_resume(&path, restart) {
            Ok(f) => Sink::File(f),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                s.data = None;
                return Ok(Response::Reply(Reply::new(554, "Restart offset is beyond the end of the file.")));
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        let mut upload = s.jail.create_upload(&path, file_mode(s, env))?;
        give_away(s, env, upload.file())?;
        Sink::Upload(upload)
    };
    receive(s, env, control, "STOR", path, sink, "Ok to send data.".into())
}

pub fn appe(s: &mut LoggedIn, env: &Env<'_>, control: &mut Control, text: &str) -> Result<Response, FtpError> {
    let path = s.path(text)?;
    require_write(s, &path)?;
    let file = s.jail.open_append(&path, file_mode(s, env))?;
    receive(s, env, control, "APPE", path, Sink::File(file), "Ok to send data.".into())
}

/// STOU (RFC 959, reply form of RFC 1123 §4.1.2.9): a new file named after the
/// argument (or "file"), with `.1`, `.2`, … added until the name is free.
pub fn stou(s: &mut LoggedIn, env: &Env<'_>, control: &mut Control, text: Option<&str>) -> Result<Response, FtpError> {
    require(s.identity.perms.upload)?;
    let base = s.path(text.unwrap_or("file"))?;
    let (file, path) = s.jail.create_unique(&base, file_mode(s, env), MAX_UNIQUE_TRIES)?;
    if let Err(e) = give_away(s, env, &file) {
        let _ = s.jail.remove_file(&path);
        return Err(e);
    }
    let opening = format!("FILE: {}", path.file_name());
    let result = receive(s, env, control, "STOU", path.clone(), Sink::File(file), opening);
    if result.is_err() {
        let _ = s.jail.remove_file(&path);
    }
    result
}

/// The final reply for a finished transfer.
fn final_reply(info: &TransferInfo, report: &TransferReport) -> Reply {
    let upload = info.kind == Kind::Upload;
    match &report.outcome {
        Outcome::Complete if info.kind == Kind::Listing => Reply::new(226, "Directory send OK."),
        Outcome::Complete => Reply::new(226, "Transfer complete."),
        Outcome::Aborted => Reply::new(426, "Connection closed; transfer aborted."),
        Outcome::Network(_) if upload => Reply::new(426, "Failure reading network stream."),
        Outcome::Network(_) => Reply::new(426, "Failure writing network stream."),
        Outcome::Local(e) if matches!(e.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded) => {
            Reply::new(452, "Insufficient storage space.")
        }
        Outcome::Local(_) if upload => Reply::new(451, "Failure writing to local file."),
        Outcome::Local(_) => Reply::new(451, "Failure reading local file."),
        Outcome::NotResumed => Reply::new(
            522,
            "SSL connection failed: session reuse required (a client that cannot resume needs require_ssl_reuse=NO).",
        ),
        Outcome::Tls(why) => Reply::new(522, format!("SSL connection failed: {why}.")),
    }
}

/// Joins the running transfer (if any): logs it, writes xferlog, returns its reply.
pub fn finish(s: &mut LoggedIn, env: &Env<'_>) -> Option<Reply> {
    let (running, info) = s.running.take()?;
    let report = running.wait();
    let reply = final_reply(&info, &report);
    let result = match &report.outcome {
        Outcome::Complete => "ok".to_string(),
        Outcome::Aborted => "aborted".to_string(),
        Outcome::Network(e) => format!("network-error ({e})"),
        Outcome::Local(e) => format!("local-error ({e})"),
        Outcome::Tls(e) => format!("tls-error ({e})"),
        Outcome::NotResumed => "tls-error (data connection did not resume the TLS session)".to_string(),
    };
    info!(
        "session={} client={} user={} {} {} bytes={} ms={} result={result}",
        env.sid,
        env.peer.ip(),
        s.identity.name,
        info.verb,
        info.path,
        report.bytes,
        report.elapsed.as_millis()
    );
    if info.kind != Kind::Listing {
        write_xferlog(s, env, &info, &report);
    }
    Some(reply)
}

fn write_xferlog(s: &LoggedIn, env: &Env<'_>, info: &TransferInfo, report: &TransferReport) {
    let Some(log) = &env.shared.xferlog else {
        return;
    };
    let host_path = s.jail.host_path(&info.path);
    let record = XferRecord {
        end: crate::sys::time::now(),
        seconds: report.elapsed.as_secs(),
        remote: env.peer.ip(),
        bytes: report.bytes,
        host_path: &host_path.to_string_lossy(),
        ascii: info.ascii,
        direction: if info.kind == Kind::Upload { Direction::Incoming } else { Direction::Outgoing },
        access: match s.identity.kind {
            AccountKind::Anonymous => AccessMode::Anonymous,
            AccountKind::Virtual => AccessMode::Guest,
            AccountKind::System => AccessMode::Real,
        },
        user: s.identity.xferlog_name(),
        complete: matches!(report.outcome, Outcome::Complete),
        tls: report.tls,
    };
    if let Err(e) = log.write_line(&xferlog::format_local(&record)) {
        warn!("session={} cannot write xferlog: {e}", env.sid);
    }
}

/// ABOR, STAT and NOOP while a transfer runs (RFC 959 §4.1.3).
pub fn during(s: &mut LoggedIn, env: &Env<'_>, control: &mut Control, cmd: &Command) -> Response {
    match cmd {
        Command::Abor => {
            if let Some((running, _)) = &s.running {
                running.abort();
            }
            // The transfer's own reply (426, or 226 if it had just finished), then ABOR's.
            if let Some(r) = finish(s, env) {
                if let Err(e) = control.reply(&r) {
                    return Response::Close(Reply::new(421, format!("Control connection error: {e}")));
                }
            }
            Response::Reply(Reply::new(226, "ABOR successful."))
        }
        Command::Stat(None) => {
            let Some((running, info)) = &s.running else {
                return Response::Reply(Reply::new(211, "No transfer in progress."));
            };
            let lines = vec![
                format!("     {} {}", info.verb, info.path),
                format!("     {} bytes transferred so far", running.bytes()),
                format!("     running for {} seconds", running.started.elapsed().as_secs()),
            ];
            Response::Reply(Reply::multi(211, "Status of transfer:", lines, "End of status"))
        }
        _ => Response::Reply(Reply::new(200, "NOOP ok.")),
    }
}
