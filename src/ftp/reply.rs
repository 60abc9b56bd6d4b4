//! Replies: a code and one or more lines, written in one `write` with CRLF
//! line ends and RFC 959 §4.2 multi-line framing.

use std::io::{self, Write};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// First line, middle lines (sent as they are, so they should start with a
    /// space), last line. A single-line reply has only `lines[0]`.
    pub lines: Vec<String>,
}

/// Makes text safe to put on the control connection: CR and LF never appear
/// raw (a name with them could forge a reply line).
pub fn sanitize(text: &str) -> String {
    text.replace(['\r', '\n'], "?")
}

/// Quotes a path for a 257 reply, doubling inner quotes (RFC 959 appendix II).
pub fn quote_path(path: &str) -> String {
    format!("\"{}\"", sanitize(path).replace('"', "\"\""))
}

impl Reply {
    pub fn new(code: u16, text: impl Into<String>) -> Reply {
        Reply { code, lines: vec![text.into()] }
    }

    /// `code-first`, the middle lines, then `code last`.
    pub fn multi(code: u16, first: impl Into<String>, middle: Vec<String>, last: impl Into<String>) -> Reply {
        let mut lines = Vec::with_capacity(middle.len() + 2);
        lines.push(first.into());
        lines.extend(middle);
        lines.push(last.into());
        Reply { code, lines }
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.lines.iter().map(|l| l.len() + 8).sum());
        let last = self.lines.len() - 1;
        for (i, line) in self.lines.iter().enumerate() {
            let line = sanitize(line);
            if i == 0 && last > 0 {
                out.extend_from_slice(format!("{}-{}\r\n", self.code, line).as_bytes());
            } else if i == last {
                out.extend_from_slice(format!("{} {}\r\n", self.code, line).as_bytes());
            } else {
                // RFC 959 §4.2: a middle line must not look like the last line.
                if line.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                    out.push(b' ');
                }
                out.extend_from_slice(line.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }

    pub fn write_to(&self, mut w: impl Write) -> io::Result<()> {
        w.write_all(&self.to_bytes())
    }

    /// Whether the reply is a positive completion or preliminary (1xx–3xx).
    pub fn is_ok(&self) -> bool {
        self.code < 400
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line() {
        assert_eq!(Reply::new(200, "NOOP ok.").to_bytes(), b"200 NOOP ok.\r\n");
    }

    #[test]
    fn rfc959_multi_line_framing() {
        let r = Reply::multi(211, "Features:", vec![" EPSV".into(), "220 looks like a code".into()], "End");
        assert_eq!(
            String::from_utf8(r.to_bytes()).unwrap(),
            "211-Features:\r\n EPSV\r\n 220 looks like a code\r\n211 End\r\n"
        );
    }

    #[test]
    fn crlf_never_written_raw() {
        let r = Reply::new(257, quote_path("/a\r\n226 fake\"q"));
        assert_eq!(r.to_bytes(), b"257 \"/a??226 fake\"\"q\"\r\n");
    }
}
