//! Replies: a named code and one or more lines, written in one `write` with
//! CRLF line ends and RFC 959 §4.2 multi-line framing.

use std::fmt;

/// A reply code, named by what it means (RFC 959 §4.2.2 and its
/// extensions; names after vsftpd's ftpcodes.h). Two names may share a
/// number where the RFCs give one number two uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ReplyCode(u16);

impl ReplyCode {
    /// 150: the data connection is being opened for a transfer or listing.
    pub(crate) const OPENING_DATA: ReplyCode = ReplyCode(150);
    /// 200: command okay.
    pub(crate) const OK: ReplyCode = ReplyCode(200);
    /// 202: command superfluous here (ALLO, ACCT).
    pub(crate) const SUPERFLUOUS: ReplyCode = ReplyCode(202);
    /// 211: system status, FEAT, STAT.
    pub(crate) const SYSTEM_STATUS: ReplyCode = ReplyCode(211);
    /// 213: file status (SIZE, MDTM, MFMT, STAT with a path).
    pub(crate) const FILE_STATUS: ReplyCode = ReplyCode(213);
    /// 214: help.
    pub(crate) const HELP: ReplyCode = ReplyCode(214);
    /// 215: system type (SYST).
    pub(crate) const SYSTEM_TYPE: ReplyCode = ReplyCode(215);
    /// 220: service ready (greeting, REIN).
    pub(crate) const SERVICE_READY: ReplyCode = ReplyCode(220);
    /// 221: closing the control connection (QUIT).
    pub(crate) const GOODBYE: ReplyCode = ReplyCode(221);
    /// 225: ABOR with no transfer running.
    pub(crate) const NO_TRANSFER: ReplyCode = ReplyCode(225);
    /// 226: transfer complete, data connection closed (also a successful ABOR).
    pub(crate) const TRANSFER_COMPLETE: ReplyCode = ReplyCode(226);
    /// 227: entering passive mode (PASV).
    pub(crate) const PASSIVE: ReplyCode = ReplyCode(227);
    /// 229: entering extended passive mode (EPSV, RFC 2428).
    pub(crate) const EXTENDED_PASSIVE: ReplyCode = ReplyCode(229);
    /// 230: user logged in.
    pub(crate) const LOGGED_IN: ReplyCode = ReplyCode(230);
    /// 234: AUTH accepted, the TLS handshake follows (RFC 4217).
    pub(crate) const AUTH_OK: ReplyCode = ReplyCode(234);
    /// 250: requested file action completed.
    pub(crate) const FILE_ACTION_OK: ReplyCode = ReplyCode(250);
    /// 257: path created (MKD) or named (PWD).
    pub(crate) const PATH: ReplyCode = ReplyCode(257);
    /// 331: user name okay, need password.
    pub(crate) const NEED_PASSWORD: ReplyCode = ReplyCode(331);
    /// 350: pending further information (REST, RNFR).
    pub(crate) const PENDING: ReplyCode = ReplyCode(350);
    /// 421: service not available, closing the control connection.
    pub(crate) const SERVICE_UNAVAILABLE: ReplyCode = ReplyCode(421);
    /// 425: cannot open the data connection.
    pub(crate) const CANT_OPEN_DATA: ReplyCode = ReplyCode(425);
    /// 426: connection closed, transfer aborted.
    pub(crate) const TRANSFER_ABORTED: ReplyCode = ReplyCode(426);
    /// 451: aborted, local error in processing.
    pub(crate) const LOCAL_ERROR: ReplyCode = ReplyCode(451);
    /// 452: insufficient storage space.
    pub(crate) const INSUFFICIENT_STORAGE: ReplyCode = ReplyCode(452);
    /// 500: syntax error, command unrecognised (also vsftpd's refusals of a mode).
    pub(crate) const UNRECOGNISED: ReplyCode = ReplyCode(500);
    /// 501: syntax error in parameters or arguments.
    pub(crate) const BAD_ARGUMENTS: ReplyCode = ReplyCode(501);
    /// 502: command not implemented.
    pub(crate) const NOT_IMPLEMENTED: ReplyCode = ReplyCode(502);
    /// 503: bad sequence of commands.
    pub(crate) const BAD_SEQUENCE: ReplyCode = ReplyCode(503);
    /// 504: command not implemented for that parameter.
    pub(crate) const NOT_FOR_PARAMETER: ReplyCode = ReplyCode(504);
    /// 522: network protocol not supported (RFC 2428 §2).
    pub(crate) const PROTOCOL_NOT_SUPPORTED: ReplyCode = ReplyCode(522);
    /// 522: the data connection must be (or failed to be) protected by TLS (vsftpd's FTP_NEEDENCRYPT).
    pub(crate) const NEED_ENCRYPTION: ReplyCode = ReplyCode(522);
    /// 530: not logged in.
    pub(crate) const NOT_LOGGED_IN: ReplyCode = ReplyCode(530);
    /// 534: request denied for policy reasons (RFC 2228).
    pub(crate) const POLICY_DENIED: ReplyCode = ReplyCode(534);
    /// 536: protection level not supported by the mechanism (RFC 2228).
    pub(crate) const PROT_NOT_SUPPORTED: ReplyCode = ReplyCode(536);
    /// 550: file unavailable (not found, no access, refused).
    pub(crate) const FILE_UNAVAILABLE: ReplyCode = ReplyCode(550);
    /// 552: exceeded storage allocation.
    pub(crate) const EXCEEDED_STORAGE: ReplyCode = ReplyCode(552);
    /// 553: file name not allowed.
    pub(crate) const BAD_FILE_NAME: ReplyCode = ReplyCode(553);
    /// 554: invalid REST parameter (RFC 3659 §5.4).
    pub(crate) const BAD_RESTART: ReplyCode = ReplyCode(554);

    /// A positive completion or preliminary reply (1xx–3xx).
    pub(crate) const fn is_positive(self) -> bool {
        self.0 < 400
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) code: ReplyCode,
    /// First line, middle lines (sent as they are, so they should start with a
    /// space), last line. A single-line reply has only `lines[0]`.
    pub(crate) lines: Vec<String>,
}

/// Makes text safe to put on the control connection: CR and LF never appear
/// raw (a name with them could forge a reply line).
pub(crate) fn sanitize(text: &str) -> String {
    text.replace(['\r', '\n'], "?")
}

/// Quotes a path for a 257 reply, doubling inner quotes (RFC 959 appendix II).
pub(crate) fn quote_path(path: &str) -> String {
    format!("\"{}\"", sanitize(path).replace('"', "\"\""))
}

impl Reply {
    pub(crate) fn new(code: ReplyCode, text: impl Into<String>) -> Reply {
        Reply { code, lines: vec![text.into()] }
    }

    /// `code-first`, the middle lines, then `code last`.
    pub(crate) fn multi(
        code: ReplyCode,
        first: impl Into<String>,
        middle: Vec<String>,
        last: impl Into<String>,
    ) -> Reply {
        let mut lines = Vec::with_capacity(middle.len() + 2);
        lines.push(first.into());
        lines.extend(middle);
        lines.push(last.into());
        Reply { code, lines }
    }

    /// The wire form.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
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

    /// Whether the reply is a positive completion or preliminary (1xx–3xx).
    pub(crate) fn is_ok(&self) -> bool {
        self.code.is_positive()
    }

    /// `550 Permission denied.`: code and first line, for logs.
    pub(crate) fn summary(&self) -> String {
        format!("{} {}", self.code, self.lines[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line() {
        assert_eq!(Reply::new(ReplyCode::OK, "NOOP ok.").to_bytes(), b"200 NOOP ok.\r\n");
    }

    #[test]
    fn rfc959_multi_line_framing() {
        let r = Reply::multi(
            ReplyCode::SYSTEM_STATUS,
            "Features:",
            vec![" EPSV".into(), "220 looks like a code".into()],
            "End",
        );
        assert_eq!(
            String::from_utf8(r.to_bytes()).unwrap(),
            "211-Features:\r\n EPSV\r\n 220 looks like a code\r\n211 End\r\n"
        );
    }

    #[test]
    fn crlf_never_written_raw() {
        let r = Reply::new(ReplyCode::PATH, quote_path("/a\r\n226 fake\"q"));
        assert_eq!(r.to_bytes(), b"257 \"/a??226 fake\"\"q\"\r\n");
    }
}
