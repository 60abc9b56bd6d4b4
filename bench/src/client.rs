//! The load generator's FTP client: blocking std::net, one control
//! connection, EPSV data connections, nothing it does not need.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// What a downloading client does with the bytes it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// Copies them into its buffer, as every real client does.
    Copy,
    /// Lets the kernel drop them (`recv` with `MSG_TRUNC`), so the client's
    /// copy does not cap the figure and the server's own cost shows.
    Discard,
}

impl Sink {
    /// One receive: the bytes taken off the socket, 0 at the end.
    pub fn recv(self, sock: &mut TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Sink::Copy => sock.read(buf),
            Sink::Discard => loop {
                // SAFETY: buf is valid for buf.len() bytes; with MSG_TRUNC on
                // TCP the kernel discards the data and writes nothing there.
                let n = unsafe { libc::recv(sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_TRUNC) };
                if n >= 0 {
                    return Ok(n as usize);
                }
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            },
        }
    }
}

/// The port of a `229 Entering Extended Passive Mode (|||PORT|)` reply.
pub fn epsv_port(text: &str) -> std::io::Result<u16> {
    text.rsplit("|||")
        .next()
        .and_then(|s| s.split('|').next())
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad EPSV reply {text}")))
}

/// One descriptor per session (replies are read through the buffer, commands
/// written to the same socket), so 10,000 sessions fit in the fd limit.
pub struct Ftp {
    reader: BufReader<TcpStream>,
    peer: SocketAddr,
}

impl Ftp {
    /// Connects and reads the 220 greeting.
    pub fn connect(addr: SocketAddr) -> std::io::Result<Ftp> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut ftp = Ftp { reader: BufReader::with_capacity(1024, stream), peer: addr };
        let (code, text) = ftp.reply()?;
        if code != 220 {
            return Err(std::io::Error::other(format!("greeting {code} {text}")));
        }
        Ok(ftp)
    }

    /// Connects and logs in as anonymous.
    pub fn login(addr: SocketAddr) -> std::io::Result<Ftp> {
        let mut ftp = Ftp::connect(addr)?;
        // Pure-FTPd lets anonymous in at USER, without asking for a password.
        match ftp.cmd("USER anonymous")? {
            (230, _) => {}
            (331, _) => _ = ftp.expect("PASS bench@", 230)?,
            (_, text) => return Err(std::io::Error::other(format!("USER anonymous: {text}"))),
        }
        Ok(ftp)
    }

    /// Reads one reply, multi-line or not: (code, last line).
    pub fn reply(&mut self) -> std::io::Result<(u16, String)> {
        let mut line = String::new();
        let mut first: Option<String> = None;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let code = first.get_or_insert_with(|| line.get(..3).unwrap_or("").to_string()).clone();
            if line.len() >= 4 && line.starts_with(&code) && line.as_bytes()[3] == b' ' {
                return Ok((code.parse().unwrap_or(0), line.trim_end().to_string()));
            }
        }
    }

    pub fn cmd(&mut self, line: &str) -> std::io::Result<(u16, String)> {
        self.reader.get_ref().write_all(format!("{line}\r\n").as_bytes())?;
        self.reply()
    }

    pub fn expect(&mut self, line: &str, code: u16) -> std::io::Result<String> {
        let (got, text) = self.cmd(line)?;
        if got != code {
            return Err(std::io::Error::other(format!("{line}: expected {code}, got {text}")));
        }
        Ok(text)
    }

    pub fn quit(mut self) -> std::io::Result<()> {
        self.expect("QUIT", 221).map(|_| ())
    }

    /// EPSV, then connects to the port the server named.
    fn data(&mut self) -> std::io::Result<TcpStream> {
        let port = epsv_port(&self.expect("EPSV", 229)?)?;
        TcpStream::connect((self.peer.ip(), port))
    }

    /// Runs a command that sends data to us (RETR, LIST, MLSD); returns the bytes received.
    pub fn download(&mut self, command: &str, buf: &mut [u8]) -> std::io::Result<u64> {
        self.download_into(command, buf, Sink::Copy)
    }

    /// `download`, with the bytes copied or discarded as `sink` says.
    pub fn download_into(&mut self, command: &str, buf: &mut [u8], sink: Sink) -> std::io::Result<u64> {
        let mut data = self.data()?;
        self.expect(command, 150)?;
        let mut total = 0u64;
        loop {
            match sink.recv(&mut data, buf)? {
                0 => break,
                n => total += n as u64,
            }
        }
        drop(data);
        self.expect_final(command)?;
        Ok(total)
    }

    /// STOR of `len` bytes, written from `chunk` over and over.
    pub fn upload(&mut self, command: &str, len: u64, chunk: &[u8]) -> std::io::Result<()> {
        let mut data = self.data()?;
        self.expect(command, 150)?;
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            data.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        data.shutdown(Shutdown::Write)?;
        drop(data);
        self.expect_final(command)
    }

    fn expect_final(&mut self, command: &str) -> std::io::Result<()> {
        match self.reply()? {
            (226, _) => Ok(()),
            (_, text) => Err(std::io::Error::other(format!("{command}: {text}"))),
        }
    }
}
