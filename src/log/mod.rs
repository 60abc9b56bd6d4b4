//! Server logging through `log` + `env_logger`: one line per event, with a
//! local timestamp, to the `log_file` or standard error. Level `info` unless
//! `RUST_LOG` says otherwise (`debug` shows the protocol with log_ftp_protocol).

pub mod file;
pub(crate) mod json;
pub mod syslog;
pub(crate) mod vsftpd;
pub(crate) mod xferlog;

use crate::cli::{LogTo, ServeMode};
use crate::sys::time::{civil_local, now};
use std::io::{self, Write};

/// Where the server log goes.
pub(crate) enum Target {
    /// Nowhere (inetd mode whose standard error is the client's socket).
    Off,
    Stderr,
    File(file::LogFile),
    /// syslog_enable: /dev/log.
    Syslog,
}

/// Where a line-oriented log (vsftpd's transfer log) goes.
#[derive(Debug)]
pub enum LineSink {
    File(file::LogFile),
    Syslog(syslog::Syslog),
}

impl LineSink {
    pub fn write_line(&self, line: &str) -> io::Result<()> {
        match self {
            LineSink::File(f) => f.write_line(line),
            LineSink::Syslog(s) => s.write_line(syslog::Severity::Info, line),
        }
    }

    /// Reopens a file after logrotate moved it (nothing to do for syslog).
    pub fn reopen(&self) -> io::Result<()> {
        match self {
            LineSink::File(f) => f.reopen(),
            LineSink::Syslog(_) => Ok(()),
        }
    }
}

/// Text a client sent, made safe for a log line: every control byte (below
/// 0x20, and DEL) becomes `?`, so no CR, LF or escape sequence can forge a
/// line or drive a terminal (vsftpd does the same).
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(|c| c.is_ascii_control()) {
        text.chars().map(|c| if c.is_ascii_control() { '?' } else { c }).collect::<String>().into()
    } else {
        text.into()
    }
}

/// Where the log goes: standard error with -f, under systemd (which sets
/// JOURNAL_STREAM) or with an empty `log_file`, else the file. In inetd mode
/// standard error may be the client's socket: then nothing is logged there.
pub(crate) fn choose(log_file: &str, mode: ServeMode, log_to: LogTo) -> io::Result<Target> {
    let stderr = log_to == LogTo::Stderr || log_file.is_empty() || std::env::var_os("JOURNAL_STREAM").is_some();
    if !stderr {
        return file::LogFile::open(log_file)
            .map(Target::File)
            .map_err(|e| io::Error::new(e.kind(), format!("log_file {log_file}: {e}")));
    }
    let stderr_is_socket =
        nix::sys::stat::fstat(std::io::stderr()).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFSOCK);
    Ok(if mode == ServeMode::Inetd && stderr_is_socket { Target::Off } else { Target::Stderr })
}

/// How server-log lines are written (`log_format`); defined with the
/// config, which sits below the log.
pub use crate::config::LogFormat as Format;

/// Chooses the target ([`choose`]) and sets the logger up ([`init`]); returns
/// the log file, if any, for the caller to reopen on SIGHUP.
pub fn start(
    log_file: &str,
    level: log::LevelFilter,
    format: Format,
    mode: ServeMode,
    log_to: LogTo,
) -> io::Result<Option<file::LogFile>> {
    let target = if log_to == LogTo::Syslog { Target::Syslog } else { choose(log_file, mode, log_to)? };
    let reopenable = match &target {
        Target::File(f) => Some(f.clone()),
        _ => None,
    };
    init(target, level, format);
    Ok(reopenable)
}

/// Sets the global logger up once; later calls are ignored.
pub(crate) fn init(target: Target, level: log::LevelFilter, format: Format) {
    let mut builder = env_logger::Builder::new();
    // rustls reports every client's quirks (an IP address as SNI, …) at warn
    // and its handshake steps at debug: only its errors belong in our log.
    // RUST_LOG=rustls=debug still shows them.
    builder
        .filter_level(level)
        .filter_module("rustls", log::LevelFilter::Error.min(level))
        .parse_default_env()
        .write_style(env_logger::WriteStyle::Never);
    let syslog = match target {
        Target::Syslog => Some(std::sync::Arc::new(syslog::Syslog::new("rftpd"))),
        _ => None,
    };
    let to_syslog = syslog.clone();
    builder.format(move |buf, rec| {
        let message = rec.args().to_string();
        let message = printable(&message);
        let (stamp, level, pid) = (civil_local(now()), rec.level(), std::process::id());
        let line = match (format, &to_syslog) {
            (Format::Json, _) => json::line(&stamp.to_string(), level, pid, &message),
            // syslog stamps the line itself.
            (Format::Text, Some(_)) => format!("{level} {message}"),
            (Format::Text, None) => format!("{stamp} {level} [{pid}] {message}"),
        };
        match &to_syslog {
            Some(s) => {
                let _ = s.write_line(syslog::Severity::of(level), &line);
                Ok(())
            }
            None => writeln!(buf, "{line}"),
        }
    });
    match target {
        Target::Off => {
            builder.filter_level(log::LevelFilter::Off);
        }
        Target::Stderr | Target::Syslog => {}
        Target::File(f) => {
            builder.target(env_logger::Target::Pipe(Box::new(f)));
        }
    }
    let _ = builder.try_init();
}
