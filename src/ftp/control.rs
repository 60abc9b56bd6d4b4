//! The control connection: a bounded CRLF line reader that strips Telnet
//! sequences (so `IAC IP IAC DM ABOR` reads as `ABOR`), and reply writing.
//! Input beyond [`MAX_COMMAND_LINE`] is discarded as it arrives, never buffered.

use super::reply::Reply;
use crate::limits::MAX_COMMAND_LINE;
use crate::tls::{ServerConnection, SessionConfig};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

const IAC: u8 = 255;
const WILL: u8 = 251;
const DONT: u8 = 254;

/// What the line reader yields.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Command(Vec<u8>),
    /// A line longer than the limit was read and thrown away.
    TooLong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Telnet {
    Data,
    /// After IAC.
    Iac,
    /// After IAC WILL/WONT/DO/DONT: one option byte to skip.
    Option,
}

/// Assembles command lines from raw bytes. Pure, so it is unit-tested.
#[derive(Debug)]
pub struct LineAssembler {
    line: Vec<u8>,
    telnet: Telnet,
    overflow: bool,
}

impl Default for LineAssembler {
    fn default() -> Self {
        LineAssembler { line: Vec::with_capacity(128), telnet: Telnet::Data, overflow: false }
    }
}

impl LineAssembler {
    /// Consumes bytes from `input` until one line is complete; returns it and
    /// how many bytes were used, or `None` and `input.len()` if more are needed.
    pub fn feed(&mut self, input: &[u8]) -> (Option<Line>, usize) {
        for (i, &b) in input.iter().enumerate() {
            let data = match self.telnet {
                // A Telnet sequence never swallows a line end: a proxy or an
                // IDS that splits lines must see the same commands rftpd runs.
                Telnet::Iac | Telnet::Option if b == b'\n' || b == b'\r' => {
                    self.telnet = Telnet::Data;
                    Some(b)
                }
                Telnet::Option => {
                    self.telnet = Telnet::Data;
                    None
                }
                Telnet::Iac => {
                    self.telnet = match b {
                        WILL..=DONT => Telnet::Option,
                        _ => Telnet::Data,
                    };
                    // IAC IAC is a literal 0xFF; IP, DM, AYT… are dropped.
                    (b == IAC).then_some(IAC)
                }
                Telnet::Data if b == IAC => {
                    self.telnet = Telnet::Iac;
                    None
                }
                Telnet::Data => Some(b),
            };
            let Some(b) = data else { continue };
            if b == b'\n' {
                let line = if self.overflow {
                    self.overflow = false;
                    self.line.clear();
                    Line::TooLong
                } else {
                    if self.line.last() == Some(&b'\r') {
                        self.line.pop();
                    }
                    if self.line.len() > MAX_COMMAND_LINE {
                        self.line.clear();
                        Line::TooLong
                    } else {
                        Line::Command(std::mem::take(&mut self.line))
                    }
                };
                return (Some(line), i + 1);
            }
            if self.overflow {
                continue;
            }
            if self.line.len() > MAX_COMMAND_LINE {
                self.overflow = true;
                self.line = Vec::with_capacity(128);
            } else {
                self.line.push(b);
            }
        }
        (None, input.len())
    }
}

/// A control connection with its read buffer and, after AUTH TLS (or from
/// the start with implicit FTPS), its TLS layer. The session reads lines and
/// writes replies the same way either way.
pub(crate) struct Control {
    /// Shared with the session registry, which shuts its read side down on
    /// SIGTERM (an `Arc`, not a dup: one descriptor per session).
    stream: Arc<TcpStream>,
    tls: Option<Box<ControlTls>>,
    /// Before login: when the login time is up (every read is bounded by it,
    /// so a client trickling one byte at a time cannot hold the session).
    deadline: Option<Instant>,
    /// The read timeout between commands (idle_session_timeout).
    idle: Duration,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    lines: LineAssembler,
}

/// The TLS state of a control connection (RFC 4217).
pub(crate) struct ControlTls {
    conn: ServerConnection,
    /// This session's server configs for data connections: they resume its
    /// sessions (same ticket key and cache).
    pub(crate) data: crate::tls::DataConfigs,
    /// PBSZ has been given (PROT needs it first).
    pub(crate) pbsz: bool,
    /// PROT P: data connections are TLS too.
    pub(crate) private: bool,
}

impl ControlTls {
    /// Protocol version and cipher suite, for the log.
    pub(crate) fn describe(&self) -> (String, String) {
        let version = self.conn.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default();
        let suite = self.conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default();
        (version, suite)
    }
}

impl Control {
    /// `idle` is the read timeout the stream already has.
    pub(crate) fn new(stream: Arc<TcpStream>, idle: Duration) -> Control {
        Control {
            stream,
            tls: None,
            deadline: None,
            idle,
            buf: vec![0; crate::limits::CONTROL_READ_BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            lines: LineAssembler::default(),
        }
    }

    /// How long the session may wait for a command (idle_session_timeout).
    pub(crate) fn idle_timeout(&self) -> Duration {
        self.idle
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }

    /// Sets (or with `None` lifts) the login deadline.
    pub(crate) fn set_deadline(&mut self, deadline: Option<Instant>) -> io::Result<()> {
        self.deadline = deadline;
        if deadline.is_none() {
            self.stream.set_read_timeout(Some(self.idle))?;
        }
        Ok(())
    }

    /// Whether the login deadline has passed.
    pub(crate) fn deadline_passed(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    pub(crate) fn tls(&self) -> Option<&ControlTls> {
        self.tls.as_deref()
    }

    pub(crate) fn tls_mut(&mut self) -> Option<&mut ControlTls> {
        self.tls.as_deref_mut()
    }

    /// Runs the TLS handshake on this connection (after `234`, or at once for
    /// implicit FTPS). Anything the client sent before the handshake is
    /// thrown away, so plaintext cannot be injected into the TLS session.
    pub(crate) fn start_tls(&mut self, config: Arc<SessionConfig>) -> io::Result<()> {
        self.start = 0;
        self.end = 0;
        self.lines = LineAssembler::default();
        let data = crate::tls::DataConfigs::of(&config);
        let mut conn = ServerConnection::new(config).map_err(io::Error::other)?;
        let (stream, deadline, idle) = (&*self.stream, self.deadline, self.idle);
        crate::tls::handshake(&mut conn, &mut &*stream, || arm(stream, deadline, idle))?;
        self.tls = Some(Box::new(ControlTls { conn, data, pbsz: false, private: false }));
        Ok(())
    }

    /// Whether bytes already read are waiting (a poll on the socket would not
    /// see them). With TLS, plaintext rustls has decrypted counts too.
    pub(crate) fn has_buffered(&mut self) -> bool {
        if self.start < self.end {
            return true;
        }
        let Some(tls) = &mut self.tls else {
            return false;
        };
        match tls.conn.reader().read(&mut self.buf) {
            Ok(n) => {
                (self.start, self.end) = (0, n);
                // n == 0 is close_notify: let read_line report the end.
                true
            }
            Err(e) => e.kind() != io::ErrorKind::WouldBlock,
        }
    }

    /// Reads the next line, blocking under the stream's read timeout.
    /// `Ok(None)` means the client closed the connection.
    pub(crate) fn read_line(&mut self) -> io::Result<Option<Line>> {
        loop {
            if self.start < self.end {
                let (line, used) = self.lines.feed(&self.buf[self.start..self.end]);
                self.start += used;
                if let Some(line) = line {
                    return Ok(Some(line));
                }
            }
            self.start = 0;
            self.end = 0;
            let n = self.fill()?;
            if n == 0 {
                return Ok(None);
            }
            self.end = n;
        }
    }

    /// One blocking read of (plain or decrypted) bytes into the buffer.
    fn fill(&mut self) -> io::Result<usize> {
        let Some(tls) = &mut self.tls else {
            arm(&self.stream, self.deadline, self.idle)?;
            return loop {
                match (&*self.stream).read(&mut self.buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r,
                }
            };
        };
        loop {
            match tls.conn.reader().read(&mut self.buf) {
                Ok(n) => return Ok(n),
                // The peer closed TCP without close_notify: the end all the same.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            arm(&self.stream, self.deadline, self.idle)?;
            let n = match tls.conn.read_tls(&mut &*self.stream) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => r?,
            };
            if n == 0 {
                return Ok(0);
            }
            let processed = tls.conn.process_new_packets();
            // Alerts, key updates and tickets rustls queued.
            crate::tls::flush(&mut tls.conn, &mut &*self.stream)?;
            processed.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
    }

    pub(crate) fn reply(&mut self, reply: &Reply) -> io::Result<()> {
        let bytes = reply.to_bytes();
        match &mut self.tls {
            None => (&*self.stream).write_all(&bytes),
            Some(tls) => {
                tls.conn.writer().write_all(&bytes)?;
                crate::tls::flush(&mut tls.conn, &mut &*self.stream)
            }
        }
    }
}

/// Before a blocking read: the read timeout is whatever is left until the
/// deadline, if there is one.
fn arm(stream: &TcpStream, deadline: Option<Instant>, idle: Duration) -> io::Result<()> {
    let Some(deadline) = deadline else {
        return Ok(());
    };
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    stream.set_read_timeout(Some(left.min(idle)))
}

impl Drop for Control {
    /// Ends TLS politely (close_notify) when the session ends.
    fn drop(&mut self) {
        if let Some(tls) = &mut self.tls {
            tls.conn.send_close_notify();
            let _ = crate::tls::flush(&mut tls.conn, &mut &*self.stream);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Line> {
        let mut a = LineAssembler::default();
        let mut out = Vec::new();
        let mut rest = input;
        loop {
            let (line, used) = a.feed(rest);
            rest = &rest[used..];
            match line {
                Some(l) => out.push(l),
                None => return out,
            }
        }
    }

    #[test]
    fn crlf_and_bare_lf_end_lines() {
        assert_eq!(lines(b"NOOP\r\nPWD\n"), vec![Line::Command(b"NOOP".to_vec()), Line::Command(b"PWD".to_vec())]);
    }

    #[test]
    fn rfc959_abor_after_telnet_ip_and_synch() {
        // IAC IP IAC DM ABOR — the DM may arrive as urgent data, inline with SO_OOBINLINE.
        assert_eq!(lines(b"\xff\xf4\xff\xf2ABOR\r\n"), vec![Line::Command(b"ABOR".to_vec())]);
    }

    #[test]
    fn telnet_negotiation_and_escaped_iac() {
        assert_eq!(lines(b"\xff\xfb\x01NO\xff\xffOP\r\n"), vec![Line::Command(b"NO\xffOP".to_vec())]);
    }

    #[test]
    fn a_telnet_sequence_never_swallows_a_line_end() {
        let got = lines(b"DE\xff\xfb\nLE x\r\nA\xff\r\n");
        let want = [&b"DE"[..], b"LE x", b"A"];
        assert_eq!(got, want.iter().map(|l| Line::Command(l.to_vec())).collect::<Vec<_>>());
    }

    #[test]
    fn split_input_is_reassembled() {
        let mut a = LineAssembler::default();
        assert_eq!(a.feed(b"RE"), (None, 2));
        assert_eq!(a.feed(b"TR x\r"), (None, 5));
        assert_eq!(a.feed(b"\nNOOP"), (Some(Line::Command(b"RETR x".to_vec())), 1));
    }

    #[test]
    fn over_long_line_is_discarded_not_kept() {
        let mut input = vec![b'A'; MAX_COMMAND_LINE * 3];
        input.extend_from_slice(b"\r\nNOOP\r\n");
        let mut a = LineAssembler::default();
        let (l, used) = a.feed(&input);
        assert_eq!(l, Some(Line::TooLong));
        assert!(a.line.capacity() <= MAX_COMMAND_LINE + 1);
        assert_eq!(a.feed(&input[used..]).0, Some(Line::Command(b"NOOP".to_vec())));
        // Exactly at the limit is still fine.
        let mut ok = vec![b'B'; MAX_COMMAND_LINE];
        ok.extend_from_slice(b"\r\n");
        assert_eq!(lines(&ok), vec![Line::Command(vec![b'B'; MAX_COMMAND_LINE])]);
    }
}
