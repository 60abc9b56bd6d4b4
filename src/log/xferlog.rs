//! The wu-ftpd xferlog line (xferlog(5) of wu-ftpd): 18 whitespace-separated fields
//! that `xferstats` and admin scripts split on.

use crate::sys::time::{MONTHS, WEEKDAYS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Outgoing,
    Incoming,
}

/// What was really sent: text converted to CRLF, or bytes untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataType {
    Ascii,
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccessMode {
    Anonymous,
    Real,
    Guest,
}

#[derive(Debug, Clone)]
pub(crate) struct XferRecord<'a> {
    /// When the transfer ended, seconds since the epoch.
    pub(crate) end: i64,
    pub(crate) seconds: u64,
    pub(crate) remote: std::net::IpAddr,
    pub(crate) bytes: u64,
    pub(crate) host_path: &'a str,
    pub(crate) data_type: DataType,
    pub(crate) direction: Direction,
    pub(crate) access: AccessMode,
    pub(crate) user: &'a str,
    pub(crate) complete: bool,
    /// Over TLS: the service name is `ftps`.
    pub(crate) tls: bool,
}

/// Replaces whitespace and control characters so one field stays one token.
fn token(s: &str) -> String {
    let t: String = s.chars().map(|c| if c.is_whitespace() || c.is_control() { '_' } else { c }).collect();
    if t.is_empty() { "_".into() } else { t }
}

/// The line, in the local time zone; `offset` is its UTC offset in seconds.
pub(crate) fn format(r: &XferRecord<'_>, offset: i64) -> String {
    let c = crate::sys::time::civil_utc(r.end + offset);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {} {} {} {} {} {} _ {} {} {} {} 0 * {}",
        WEEKDAYS[c.weekday as usize],
        MONTHS[(c.month - 1) as usize],
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year,
        r.seconds.max(1),
        r.remote,
        r.bytes,
        token(r.host_path),
        if r.data_type == DataType::Ascii { 'a' } else { 'b' },
        if r.direction == Direction::Outgoing { 'o' } else { 'i' },
        match r.access {
            AccessMode::Anonymous => 'a',
            AccessMode::Real => 'r',
            AccessMode::Guest => 'g',
        },
        token(r.user),
        if r.tls { "ftps" } else { "ftp" },
        if r.complete { 'c' } else { 'i' },
    )
}

/// The line in the server's local time.
pub(crate) fn format_local(r: &XferRecord<'_>) -> String {
    format(r, crate::sys::time::local_offset(r.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_md_example_has_18_fields() {
        let r = XferRecord {
            end: crate::sys::time::unix_from_utc(2026, 11, 25, 3, 1, 15).unwrap(),
            seconds: 0,
            remote: "127.0.0.1".parse().unwrap(),
            bytes: 18,
            host_path: "/srv/ftp/readme.txt",
            data_type: DataType::Ascii,
            direction: Direction::Outgoing,
            access: AccessMode::Anonymous,
            user: "guest@example.org",
            complete: true,
            tls: false,
        };
        let line = format(&r, 0);
        assert_eq!(
            line,
            "Wed Nov 25 03:01:15 2026 1 127.0.0.1 18 /srv/ftp/readme.txt a _ o a guest@example.org ftp 0 * c"
        );
        assert_eq!(line.split_whitespace().count(), 18);
    }

    #[test]
    fn spaces_in_names_and_single_digit_days_keep_the_field_count() {
        let r = XferRecord {
            end: crate::sys::time::unix_from_utc(2026, 1, 5, 0, 0, 0).unwrap(),
            seconds: 3,
            remote: "::1".parse().unwrap(),
            bytes: 0,
            host_path: "/srv/a b\tc.txt",
            data_type: DataType::Binary,
            direction: Direction::Incoming,
            access: AccessMode::Guest,
            user: "",
            complete: false,
            tls: true,
        };
        let line = format(&r, 0);
        assert!(line.starts_with("Mon Jan  5 00:00:00 2026 3 ::1 0 /srv/a_b_c.txt b _ i g _ ftps 0 * i"), "{line}");
        assert_eq!(line.split_whitespace().count(), 18);
    }
}
