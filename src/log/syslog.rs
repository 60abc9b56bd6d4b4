//! A syslog client for syslog_enable: one datagram per line to /dev/log
//! (RFC 3164 framing, facility ftp), reconnected when the daemon restarts.

use crate::sys::time::{MONTHS, civil_local, now};
use std::os::unix::net::UnixDatagram;
use std::sync::Mutex;

const DEV_LOG: &str = "/dev/log";

/// The syslog socket: /dev/log, or where RFTPD_SYSLOG_SOCKET names
/// (a container whose syslog listens elsewhere; the tests).
fn socket_path() -> String {
    std::env::var("RFTPD_SYSLOG_SOCKET").unwrap_or_else(|_| DEV_LOG.to_owned())
}
/// LOG_FTP (11) << 3.
const FACILITY_FTP: u8 = 11 << 3;

#[derive(Debug)]
pub struct Syslog {
    ident: &'static str,
    socket: Mutex<Option<UnixDatagram>>,
}

/// syslog severities rftpd uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error = 3,
    Warning = 4,
    Info = 6,
    Debug = 7,
}

impl Severity {
    pub fn of(level: log::Level) -> Severity {
        match level {
            log::Level::Error => Severity::Error,
            log::Level::Warn => Severity::Warning,
            log::Level::Info => Severity::Info,
            log::Level::Debug | log::Level::Trace => Severity::Debug,
        }
    }
}

impl Syslog {
    pub fn new(ident: &'static str) -> Syslog {
        Syslog { ident, socket: Mutex::new(None) }
    }

    /// The datagram for one line: `<PRI>Mmm dd hh:mm:ss ident[pid]: line`.
    pub fn frame(&self, severity: Severity, line: &str) -> String {
        let c = civil_local(now());
        format!(
            "<{}>{} {:2} {:02}:{:02}:{:02} {}[{}]: {line}",
            FACILITY_FTP | severity as u8,
            MONTHS[(c.month - 1) as usize],
            c.day,
            c.hour,
            c.minute,
            c.second,
            self.ident,
            std::process::id()
        )
    }

    /// Sends one line; a failed send reconnects once (syslogd restarted).
    pub fn write_line(&self, severity: Severity, line: &str) -> std::io::Result<()> {
        let frame = self.frame(severity, line);
        let mut socket = self.socket.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..2 {
            if socket.is_none() {
                let s = UnixDatagram::unbound()?;
                s.connect(socket_path())?;
                *socket = Some(s);
            }
            match socket.as_ref().map(|s| s.send(frame.as_bytes())) {
                Some(Ok(_)) => return Ok(()),
                _ => *socket = None,
            }
        }
        Err(std::io::Error::other(format!("cannot send to {}", socket_path())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3164_frame() {
        let f = Syslog::new("rftpd").frame(Severity::Info, "hello");
        assert!(f.starts_with("<94>"), "{f}");
        assert!(f.ends_with(&format!(" rftpd[{}]: hello", std::process::id())), "{f}");
    }
}
