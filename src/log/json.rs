//! `log_format=json`: each server-log line as one JSON object with the
//! fields of the text line: time, level, pid, then what the message says as
//! `key=value` (session, client, user, bytes, ms, result, …), the event (the
//! rest of the message, e.g. `login failed`, `STOR /path`) and the whole
//! message. The order is fixed, so session and client (written by rftpd
//! before anything a client sent) come before user and event.

use std::fmt::Write;

/// Keys lifted out of a message into their own fields, in this order.
const FIELDS: [&str; 8] = ["session", "client", "user", "bytes", "ms", "result", "mode", "blksize"];
/// Fields whose values are numbers.
const NUMBERS: [&str; 4] = ["session", "bytes", "ms", "blksize"];

/// One line (without the newline) for `message`, which has no control bytes.
pub(crate) fn line(time: &str, level: log::Level, pid: u32, message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 96);
    let _ = write!(out, "{{\"time\":\"{time}\",\"level\":\"{level}\",\"pid\":{pid}");
    let (fields, event) = split(message);
    for key in FIELDS {
        if let Some((_, value)) = fields.iter().find(|(k, _)| *k == key) {
            if NUMBERS.contains(&key) && !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                let _ = write!(out, ",\"{key}\":{value}");
            } else {
                let _ = write!(out, ",\"{key}\":");
                quote(&mut out, value);
            }
        }
    }
    out.push_str(",\"event\":");
    quote(&mut out, &event);
    out.push_str(",\"message\":");
    quote(&mut out, message);
    out.push('}');
    out
}

/// The `key=value` words of [`FIELDS`] and the other words (the event).
/// `user=` takes the words up to the next known key or the end of the
/// user's part: a user name may hold spaces.
fn split(message: &str) -> (Vec<(&str, String)>, String) {
    let mut fields: Vec<(&str, String)> = Vec::new();
    let mut event: Vec<&str> = Vec::new();
    for word in message.split(' ') {
        match word.split_once('=') {
            Some((k, v)) if FIELDS.contains(&k) && !fields.iter().any(|(f, _)| *f == k) => {
                fields.push((FIELDS[FIELDS.iter().position(|f| *f == k).unwrap()], v.to_owned()))
            }
            _ => event.push(word),
        }
    }
    (fields, event.join(" "))
}

pub(crate) fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_out_of_the_message() {
        let l = line("2026-12-02 12:00:00", log::Level::Info, 7, "session=3 client=10.0.0.1 user=al\"ice login failed");
        assert_eq!(
            l,
            r#"{"time":"2026-12-02 12:00:00","level":"INFO","pid":7,"session":3,"client":"10.0.0.1","user":"al\"ice","event":"login failed","message":"session=3 client=10.0.0.1 user=al\"ice login failed"}"#
        );
        let t = line("t", log::Level::Info, 1, "session=1 client=::1 user=bob STOR /a b bytes=10 ms=3 result=ok");
        assert!(t.contains(r#""bytes":10,"ms":3,"result":"ok","event":"STOR /a b""#), "{t}");
    }
}
