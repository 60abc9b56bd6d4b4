//! vsftpd's own log format (xferlog_std_format=NO or dual_log_enable), one
//! line per connection, login, transfer and change to the file system, so
//! that scripts and fail2ban filters written for vsftpd.log keep working:
//! `Wed Dec  2 04:12:24 2026 [pid 42] [alice] OK DOWNLOAD: Client "1.2.3.4", "/f", 18 bytes, 1.23Kbyte/sec`

use crate::sys::time::{MONTHS, WEEKDAYS, civil_local};
use std::time::Duration;

/// What a line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Connect,
    Login,
    Download,
    Upload,
    Mkdir,
    Rmdir,
    Delete,
    Rename,
    Chmod,
}

impl Event {
    fn word(self) -> &'static str {
        match self {
            Event::Connect => "CONNECT",
            Event::Login => "LOGIN",
            Event::Download => "DOWNLOAD",
            Event::Upload => "UPLOAD",
            Event::Mkdir => "MKDIR",
            Event::Rmdir => "RMDIR",
            Event::Delete => "DELETE",
            Event::Rename => "RENAME",
            Event::Chmod => "CHMOD",
        }
    }
}

/// One line's contents.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    /// Seconds since the epoch.
    pub when: i64,
    pub user: Option<&'a str>,
    pub event: Event,
    /// Whether it succeeded (connections have no outcome).
    pub ok: bool,
    pub client: std::net::IpAddr,
    /// For anonymous logins: the password given.
    pub anon_password: Option<&'a str>,
    /// The path (or `from to` for a rename).
    pub path: Option<&'a str>,
    pub bytes: u64,
    /// For transfers: how long it took.
    pub elapsed: Option<Duration>,
}

impl Line<'_> {
    /// A line for `event` by `client`, now, with nothing else said.
    pub fn new(event: Event, client: std::net::IpAddr, ok: bool) -> Line<'static> {
        Line {
            when: crate::sys::time::now(),
            user: None,
            event,
            ok,
            client,
            anon_password: None,
            path: None,
            bytes: 0,
            elapsed: None,
        }
    }
}

/// Client text in quotes: no quote or control byte can break the line.
fn quoted(s: &str) -> String {
    s.chars().map(|c| if c.is_control() || c == '"' { '?' } else { c }).collect()
}

/// The line, in the server's local time.
pub fn format(l: &Line<'_>) -> String {
    let c = civil_local(l.when);
    let mut out = format!(
        "{} {} {:2} {:02}:{:02}:{:02} {} [pid {}] ",
        WEEKDAYS[c.weekday as usize],
        MONTHS[(c.month - 1) as usize],
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year,
        std::process::id()
    );
    if let Some(user) = l.user {
        out.push_str(&format!("[{}] ", quoted(user)));
    }
    if l.event != Event::Connect {
        out.push_str(if l.ok { "OK " } else { "FAIL " });
    }
    out.push_str(&format!("{}: Client \"{}\"", l.event.word(), l.client));
    if let Some(p) = l.anon_password {
        out.push_str(&format!(", anon password \"{}\"", quoted(p)));
    }
    if let Some(p) = l.path {
        out.push_str(&format!(", \"{}\"", quoted(p)));
    }
    if l.bytes > 0 {
        out.push_str(&format!(", {} bytes", l.bytes));
    }
    if let Some(elapsed) = l.elapsed {
        let secs = elapsed.as_secs_f64().max(1e-6);
        out.push_str(&format!(", {:.2}Kbyte/sec", l.bytes as f64 / secs / 1024.0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vsftpd_shapes() {
        let base = Line {
            when: 0,
            user: Some("alice"),
            event: Event::Download,
            ok: true,
            client: "127.0.0.1".parse().unwrap(),
            anon_password: None,
            path: Some("/f \"x\"\r"),
            bytes: 2048,
            elapsed: Some(Duration::from_secs(2)),
        };
        let l = format(&base);
        assert!(
            l.contains(" [alice] OK DOWNLOAD: Client \"127.0.0.1\", \"/f ?x??\", 2048 bytes, 1.00Kbyte/sec"),
            "{l}"
        );
        let login = Line { event: Event::Login, ok: false, path: None, bytes: 0, elapsed: None, ..base };
        let fail = format(&login);
        assert!(fail.ends_with("[alice] FAIL LOGIN: Client \"127.0.0.1\""), "{fail}");
        let connect = format(&Line { user: None, event: Event::Connect, ..login });
        assert!(connect.ends_with("] CONNECT: Client \"127.0.0.1\""), "{connect}");
    }
}
