//! RETR, STOR, APPE, STOU: prepare the file, open the data connection, send
//! 150, start the helper thread; later turn its report into 226/426/451 and
//! an xferlog line. Also ABOR, STAT and NOOP while a transfer runs.

use super::{LoggedIn, require};
use crate::auth::AccountKind;
use crate::ftp::command::{Command, TransferType};
use crate::ftp::control::Control;
use crate::ftp::data::{self, DataError, DataPeer, Pending};
use crate::ftp::error::{Direction, FtpError};
use crate::ftp::helper::{Copy, DataTls, Outcome, Payload, Running, Sink, Started, TransferReport};
use crate::ftp::reply::{Reply, ReplyCode};
use crate::ftp::state::{Conn, Response};
use crate::jail::{Replace, VirtualPath};
use crate::limits::MAX_UNIQUE_TRIES;
use crate::log::vsftpd::{Event, Line};
use crate::log::xferlog::{self, AccessMode, DataType, XferRecord};
use log::{info, warn};
use std::io;
use std::net::TcpStream;

/// What a transfer moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Download,
    Upload,
    Listing,
}

/// Where an upload writes: a temporary file renamed into place on
/// success, or the file itself (APPE, STOR after REST, STOU).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    ThroughTemporary,
    InPlace,
}

/// What the session remembers about a running transfer, for its final reply and logs.
#[derive(Debug, Clone)]
pub(crate) struct TransferInfo {
    pub(crate) verb: &'static str,
    pub(crate) path: VirtualPath,
    pub(crate) kind: Kind,
    /// What is really sent: TYPE A falls back to bytes as they are with
    /// ascii_download_enable/ascii_upload_enable off.
    pub(crate) transfer_type: TransferType,
    pub(crate) written: Written,
}

impl TransferInfo {
    fn direction(&self) -> Direction {
        if self.kind == Kind::Upload { Direction::Upload } else { Direction::Download }
    }
}

fn mode_word(s: &LoggedIn) -> &'static str {
    if s.transfer_type == TransferType::Ascii { "ASCII" } else { "BINARY" }
}

/// Opens the data connection the client set up (PASV/EPSV/PORT/EPRT); it is
/// used once.
fn open_data(s: &mut LoggedIn, conn: &Conn<'_>) -> Result<TcpStream, FtpError> {
    let config = conn.config;
    let (mode, opened) = match s.data.take() {
        None => return Err(FtpError::NoDataConnection),
        Some(Pending::Passive(listener)) => {
            let who = DataPeer::of(conn.peer.ip(), config);
            (
                1,
                listener.accept(who, config.accept_timeout).map_err(|e| match e {
                    DataError::BadIp => FtpError::DataPeerRefused,
                    DataError::Timeout => FtpError::DataConnectionFailed,
                    DataError::Io(e) => {
                        warn!("session={} passive accept failed: {e}", conn.sid);
                        FtpError::DataConnectionFailed
                    }
                }),
            )
        }
        Some(Pending::Active(target)) => {
            let source_port = config.connect_from_port_20.then_some(config.ftp_data_port);
            (
                0,
                data::connect_active(conn.local.ip(), target, source_port, config.connect_timeout).map_err(|e| {
                    info!("session={} active connection to {target} failed: {e}", conn.sid);
                    FtpError::DataConnectionFailed
                }),
            )
        }
    };
    crate::metrics::FTP.data_connections[mode][usize::from(opened.is_err())].inc();
    let stream = opened?;
    let timeout = Some(config.data_connection_timeout);
    stream
        .set_read_timeout(timeout)
        .and_then(|()| stream.set_write_timeout(timeout))
        .map_err(|_| FtpError::DataConnectionFailed)?;
    Ok(stream)
}

/// The 522 for a data transfer that must be protected (PROT P) and is not.
fn data_protection(conn: &Conn<'_>, control: &Control, kind: AccountKind) -> Result<(), FtpError> {
    let config = conn.config;
    let forced = match kind {
        AccountKind::Anonymous => config.force_anon_data_ssl,
        AccountKind::Virtual | AccountKind::System => config.force_local_data_ssl,
    };
    let private = control.tls().is_some_and(|t| t.private);
    if config.tls_on() && forced && !private { Err(FtpError::DataNeedsTls) } else { Ok(()) }
}

/// Opens the data connection, answers 150 and hands the payload to a helper thread.
pub(crate) fn start(
    s: &mut LoggedIn,
    conn: &Conn<'_>,
    control: &mut Control,
    info: TransferInfo,
    payload: Payload,
    opening: String,
) -> Result<Response, FtpError> {
    if let Err(e) = data_protection(conn, control, s.identity.kind) {
        s.data = None;
        return Err(e);
    }
    let tls = control.tls().filter(|t| t.private).map(|t| DataTls {
        config: match payload {
            Payload::Receive { .. } => t.data.upload.clone(),
            Payload::File { .. } | Payload::Buffer(_) => t.data.download.clone(),
        },
        require_reuse: conn.config.require_ssl_reuse,
        strict_eof: conn.config.strict_ssl_read_eof,
    });
    let data = open_data(s, conn)?;
    control.reply(&Reply::new(ReplyCode::OPENING_DATA, opening))?;
    let max_rate = match s.identity.kind {
        AccountKind::Anonymous => conn.config.anon_max_rate,
        AccountKind::Virtual | AccountKind::System => conn.config.local_max_rate,
    };
    let size = match &payload {
        Payload::File { size, offset, .. } => Some(size.saturating_sub(*offset)),
        _ => None,
    };
    match Running::start(&mut s.helper, conn.sid, data, tls, max_rate, payload)? {
        Started::Done(report) => Ok(Response::Reply(conclude(s, conn, info, report))),
        Started::Running(running) => {
            conn.seen.transfer_started(info.path.as_str(), size, running.progress());
            s.running = Some((running, info));
            Ok(Response::Started)
        }
    }
}

pub(crate) fn retr(
    s: &mut LoggedIn,
    conn: &Conn<'_>,
    control: &mut Control,
    restart: u64,
    text: &str,
) -> Result<Response, FtpError> {
    require(s.identity.perms.download)?;
    let path = s.path(text)?;
    require(name_allowed(&conn.config.download_file, &path))?;
    let (file, st) = s.jail.open_read_stat(&path)?;
    // vsftpd's anon_world_readable_only: anonymous uploads (anon_umask 077)
    // can't be fetched back, so the server is no drop point for strangers.
    require(!s.identity.world_readable_only || st.st_mode & 0o004 != 0)?;
    let size = st.st_size as u64;
    if restart > size {
        // RFC 3659 §5.4: a restart marker past the end is an invalid REST parameter.
        s.data = None;
        return Err(FtpError::RestartBeyondEnd);
    }
    let transfer_type = sent_type(s.transfer_type, conn.config.ascii_download_enable);
    let opening = format!("Opening {} mode data connection for {} ({size} bytes).", mode_word(s), path.file_name());
    let info = TransferInfo { verb: "RETR", path, kind: Kind::Download, transfer_type, written: Written::InPlace };
    let copy = if conn.config.use_sendfile { Copy::ZeroCopy } else { Copy::Buffered };
    let payload = Payload::File { file, size, offset: restart, kind: transfer_type, copy };
    start(s, conn, control, info, payload, opening)
}

/// The type really used: TYPE A only where conversion is enabled for that
/// direction (ascii_download_enable, ascii_upload_enable), as vsftpd.
fn sent_type(asked: TransferType, ascii_enabled: bool) -> TransferType {
    if asked == TransferType::Ascii && !ascii_enabled { TransferType::Image } else { asked }
}

/// download_file / upload_file: when set, only matching names.
fn name_allowed(patterns: &crate::config::NamePatterns, path: &VirtualPath) -> bool {
    patterns.is_empty() || patterns.matches(path.file_name())
}

fn file_mode(s: &LoggedIn, conn: &Conn<'_>) -> u32 {
    conn.config.file_open_mode & !s.umask
}

/// Writing to an existing name needs the overwrite right, creating one the
/// upload right; upload_file restricts the names.
fn require_write(s: &LoggedIn, path: &VirtualPath) -> Result<(), FtpError> {
    require(name_allowed(&s.config.upload_file, path))?;
    let exists = s.jail.lstat(path).is_ok();
    require(if exists { s.identity.perms.overwrite } else { s.identity.perms.upload })
}

/// chown_uploads: a file an anonymous user just created goes to chown_username.
fn give_away(s: &LoggedIn, conn: &Conn<'_>, file: &std::fs::File) -> Result<(), FtpError> {
    let Some((uid, gid, mode)) = s.identity.uploads_to else {
        return Ok(());
    };
    crate::sys::creds::give_away(std::os::fd::AsFd::as_fd(file), uid, gid, mode).map_err(|e| {
        warn!("session={} chown_uploads failed: {e}", conn.sid);
        FtpError::Io(e)
    })
}

/// Starts receiving into `sink` (STOR, APPE, STOU).
fn receive(
    s: &mut LoggedIn,
    conn: &Conn<'_>,
    control: &mut Control,
    verb: &'static str,
    path: VirtualPath,
    sink: Sink,
    opening: String,
) -> Result<Response, FtpError> {
    let transfer_type = sent_type(s.transfer_type, conn.config.ascii_upload_enable);
    let written = if matches!(sink, Sink::Upload(_)) { Written::ThroughTemporary } else { Written::InPlace };
    let info = TransferInfo { verb, path, kind: Kind::Upload, transfer_type, written };
    start(s, conn, control, info, Payload::Receive { sink, kind: transfer_type }, opening)
}

/// STOR replaces a file only once the upload completes (temporary name, then
/// rename). After REST it continues the existing file in place instead.
pub(crate) fn stor(
    s: &mut LoggedIn,
    conn: &Conn<'_>,
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
                return Err(FtpError::RestartBeyondEnd);
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        // Without the overwrite right, a name that appears during the upload
        // (another session's) is not replaced either.
        let replace = if s.identity.perms.overwrite { Replace::Allowed } else { Replace::Never };
        let mut upload = s.jail.create_upload(&path, file_mode(s, conn), replace)?;
        if let Some((uid, gid, mode)) = s.identity.uploads_to {
            upload.give_to(uid, gid, mode);
        }
        Sink::Upload(upload)
    };
    receive(s, conn, control, "STOR", path, sink, "Ok to send data.".into())
}

pub(crate) fn appe(s: &mut LoggedIn, conn: &Conn<'_>, control: &mut Control, text: &str) -> Result<Response, FtpError> {
    let path = s.path(text)?;
    require_write(s, &path)?;
    let file = s.jail.open_append(&path, file_mode(s, conn))?;
    receive(s, conn, control, "APPE", path, Sink::File(file), "Ok to send data.".into())
}

/// STOU (RFC 959, reply form of RFC 1123 §4.1.2.9): a new file named after the
/// argument (or "file"), with `.1`, `.2`, … added until the name is free.
pub(crate) fn stou(
    s: &mut LoggedIn,
    conn: &Conn<'_>,
    control: &mut Control,
    text: Option<&str>,
) -> Result<Response, FtpError> {
    require(s.identity.perms.upload)?;
    let base = s.path(text.unwrap_or("file"))?;
    require(name_allowed(&conn.config.upload_file, &base))?;
    let (file, path) = s.jail.create_unique(&base, file_mode(s, conn), MAX_UNIQUE_TRIES)?;
    if let Err(e) = give_away(s, conn, &file) {
        let _ = s.jail.remove_file(&path);
        return Err(e);
    }
    let opening = format!("FILE: {}", path.file_name());
    let result = receive(s, conn, control, "STOU", path.clone(), Sink::File(file), opening);
    if result.is_err() {
        let _ = s.jail.remove_file(&path);
    }
    result
}

/// Why a transfer did not complete, as the error its reply comes from.
fn failure(info: &TransferInfo, outcome: Outcome) -> Option<FtpError> {
    let direction = info.direction();
    Some(match outcome {
        Outcome::Complete => return None,
        Outcome::Aborted => FtpError::TransferAborted,
        Outcome::Network(_) => FtpError::DataConnectionLost(direction),
        Outcome::Local(e) => FtpError::LocalFile(direction, e),
        Outcome::NotResumed => FtpError::DataTlsNotResumed,
        Outcome::Tls(why) => FtpError::DataTls(why),
    })
}

/// The log word for how a transfer ended.
fn result_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Complete => "ok".to_string(),
        Outcome::Aborted => "aborted".to_string(),
        Outcome::Network(e) => format!("network-error ({e})"),
        Outcome::Local(e) => format!("local-error ({e})"),
        Outcome::Tls(e) => format!("tls-error ({e})"),
        Outcome::NotResumed => "tls-error (data connection did not resume the TLS session)".to_string(),
    }
}

/// Joins the running transfer (if any): logs it, writes xferlog, returns its reply.
pub(crate) fn finish(s: &mut LoggedIn, conn: &Conn<'_>) -> Option<Reply> {
    let (running, info) = s.running.take()?;
    let report = running.wait();
    conn.seen.transfer_ended();
    Some(conclude(s, conn, info, report))
}

/// Logs and counts a finished (or aborted) transfer; its final reply.
fn conclude(s: &mut LoggedIn, conn: &Conn<'_>, info: TransferInfo, report: TransferReport) -> Reply {
    info!(
        "session={} client={} user={} {} {} bytes={} ms={} result={}",
        conn.sid,
        conn.peer.ip(),
        s.identity.name,
        info.verb,
        info.path,
        report.bytes,
        report.elapsed.as_millis(),
        result_text(&report.outcome)
    );
    count(&info, &report);
    if info.kind == Kind::Upload && matches!(report.outcome, Outcome::Complete) && !s.config.upload_hook.is_empty() {
        crate::ftp::hooks::uploaded(crate::ftp::hooks::Upload {
            program: s.config.upload_hook.clone(),
            session: conn.sid,
            user: s.identity.name.clone(),
            client: conn.peer.ip(),
            path: info.path.to_string(),
            file: s.jail.host_path(&info.path).display().to_string(),
            size: report.bytes,
        });
    }
    if info.kind != Kind::Listing {
        write_xferlog(s, conn, &info, &report);
        let event = if info.kind == Kind::Upload { Event::Upload } else { Event::Download };
        conn.server.vsftpd_log(Line {
            user: Some(&s.identity.name),
            path: Some(info.path.as_str()),
            bytes: report.bytes,
            elapsed: Some(report.elapsed),
            ..Line::new(event, conn.peer.ip(), matches!(report.outcome, Outcome::Complete))
        });
    }
    let failed_in_place = info.kind == Kind::Upload && info.written == Written::InPlace;
    if failed_in_place && conn.config.delete_failed_uploads && !matches!(report.outcome, Outcome::Complete) {
        match s.jail.remove_file(&info.path) {
            Ok(()) => info!("session={} removed the failed upload {} (delete_failed_uploads)", conn.sid, info.path),
            Err(e) => warn!("session={} cannot remove the failed upload {}: {e}", conn.sid, info.path),
        }
    }
    let done = match info.kind {
        Kind::Listing => "Directory send OK.",
        Kind::Download | Kind::Upload => "Transfer complete.",
    };
    let TransferReport { outcome, .. } = report;
    match failure(&info, outcome) {
        None => Reply::new(ReplyCode::TRANSFER_COMPLETE, done),
        Some(e) => e.reply(""),
    }
}

/// The transfer in the metrics: bytes, result and duration.
fn count(info: &TransferInfo, report: &TransferReport) {
    let m = &crate::metrics::FTP;
    let result = match report.outcome {
        Outcome::Complete => 0,
        Outcome::Aborted => 2,
        _ => 1,
    };
    match info.kind {
        Kind::Listing => {
            m.bytes_sent.add(report.bytes);
            m.listings[result.min(1)].inc();
        }
        Kind::Download | Kind::Upload => {
            let upload = info.kind == Kind::Upload;
            if upload { &m.bytes_received } else { &m.bytes_sent }.add(report.bytes);
            m.transfers[usize::from(upload)][result].inc();
            m.transfer_seconds.observe(report.elapsed);
        }
    }
}

fn write_xferlog(s: &LoggedIn, conn: &Conn<'_>, info: &TransferInfo, report: &TransferReport) {
    let Some(log) = &conn.server.xferlog else {
        return;
    };
    let host_path = s.jail.host_path(&info.path);
    let record = XferRecord {
        end: crate::sys::time::now(),
        seconds: report.elapsed.as_secs(),
        remote: conn.peer.ip(),
        bytes: report.bytes,
        host_path: &host_path.to_string_lossy(),
        data_type: match info.transfer_type {
            TransferType::Ascii => DataType::Ascii,
            TransferType::Image => DataType::Binary,
        },
        direction: match info.direction() {
            Direction::Download => xferlog::Direction::Outgoing,
            Direction::Upload => xferlog::Direction::Incoming,
        },
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
        warn!("session={} cannot write xferlog: {e}", conn.sid);
    }
}

/// ABOR, STAT and NOOP while a transfer runs (RFC 959 §4.1.3).
pub(crate) fn during(s: &mut LoggedIn, conn: &Conn<'_>, control: &mut Control, cmd: &Command) -> Response {
    match cmd {
        Command::Abor => {
            if let Some((running, _)) = &s.running {
                running.abort();
            }
            // The transfer's own reply (426, or 226 if it had just finished), then ABOR's.
            if let Some(r) = finish(s, conn)
                && let Err(e) = control.reply(&r)
            {
                let text = format!("Control connection error: {e}");
                return Response::Close(Reply::new(ReplyCode::SERVICE_UNAVAILABLE, text));
            }
            Response::Reply(Reply::new(ReplyCode::TRANSFER_COMPLETE, "ABOR successful."))
        }
        Command::Stat(None) => {
            let Some((running, info)) = &s.running else {
                return Response::Reply(Reply::new(ReplyCode::SYSTEM_STATUS, "No transfer in progress."));
            };
            let lines = vec![
                format!("     {} {}", info.verb, info.path),
                format!("     {} bytes transferred so far", running.bytes()),
                format!("     running for {} seconds", running.started.elapsed().as_secs()),
            ];
            Response::Reply(Reply::multi(ReplyCode::SYSTEM_STATUS, "Status of transfer:", lines, "End of status"))
        }
        _ => Response::Reply(Reply::new(ReplyCode::OK, "NOOP ok.")),
    }
}
