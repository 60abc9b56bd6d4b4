//! A TLS data connection over a blocking socket. rustls' own `read_tls`
//! asks the socket for 4 KiB at a time (262,144 reads per GiB uploaded);
//! this stream reads the socket in large chunks and feeds rustls from
//! memory. Writes hand rustls a whole copy buffer and send all its records
//! in one `writev`.

use super::ServerConnection;
use std::io::{self, Read, Write};
use std::net::TcpStream;

/// How much ciphertext one socket read may take.
const READ_CHUNK: usize = 256 * 1024;

pub(crate) struct TlsStream {
    pub(crate) conn: ServerConnection,
    pub(crate) sock: TcpStream,
    /// Ciphertext read from the socket and not yet given to rustls
    /// (allocated by the first read: downloads never need it).
    inbuf: Vec<u8>,
    start: usize,
    end: usize,
}

impl TlsStream {
    /// `conn` has finished its handshake on `sock`. `send_limit` is the most
    /// plaintext rustls takes per write.
    pub(crate) fn new(mut conn: ServerConnection, sock: TcpStream, send_limit: usize) -> TlsStream {
        conn.set_buffer_limit(Some(send_limit));
        TlsStream { conn, sock, inbuf: Vec::new(), start: 0, end: 0 }
    }

    /// Writes out everything rustls has queued (records, alerts).
    fn send_queued(&mut self) -> io::Result<()> {
        super::flush(&mut self.conn, &mut self.sock)
    }

    /// Gives rustls the next ciphertext, reading the socket when none is
    /// left; at the socket's end rustls is told so.
    fn feed(&mut self) -> io::Result<()> {
        if self.start == self.end {
            if self.inbuf.is_empty() {
                self.inbuf = vec![0; READ_CHUNK];
            }
            self.end = loop {
                match self.sock.read(&mut self.inbuf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            self.start = 0;
        }
        let mut pending = &self.inbuf[self.start..self.end];
        // An empty slice reads as the end of the stream.
        self.start += self.conn.read_tls(&mut pending)?;
        let state = self.conn.process_new_packets();
        self.send_queued()?;
        state.map(|_| ()).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

impl Read for TlsStream {
    /// Plaintext; `Ok(0)` after the peer's close_notify, `UnexpectedEof`
    /// when the connection ended without one.
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(out) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.feed()?,
                r => return r,
            }
        }
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.conn.writer().write(buf)?;
        self.send_queued()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.writer().flush()?;
        self.send_queued()
    }
}
