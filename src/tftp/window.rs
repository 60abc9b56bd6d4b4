//! One transfer on its own socket (its TID): a windowed sender for RRQ and an
//! in-order receiver for WRQ, with retransmission on timeout, block numbers
//! that roll over past 65535, and duplicate ACKs that never trigger
//! duplicate DATA (the Sorcerer's Apprentice bug, RFC 1123 §4.2.3.1).

use super::packet::{self, ErrorCode, Packet};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// How a transfer runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    pub(crate) blksize: usize,
    pub(crate) timeout: Duration,
    pub(crate) windowsize: u16,
    pub(crate) retries: u32,
    /// The server's own timeout (config `timeout`), used until the peer has
    /// answered: a spoofed request's `timeout=255` holds no worker.
    pub(crate) first_timeout: Duration,
    /// Largest upload accepted (0 = no limit).
    pub(crate) max_upload: u64,
}

#[derive(Debug)]
pub(crate) enum Failure {
    /// The peer did not answer after every retry.
    Timeout,
    /// The peer sent an ERROR packet (code, message); 8 = option refused.
    Peer(u16, String),
    /// Reading or writing the local file failed.
    Local(io::Error),
    /// The socket failed.
    Network(io::Error),
    /// The peer broke the protocol (we sent ERROR 4).
    Protocol(String),
    /// The upload grew past max_upload (we sent ERROR 3).
    TooLarge,
}

/// A socket talking to one peer; packets from anyone else get ERROR 5.
pub(crate) struct Peer<'a> {
    pub(crate) sock: &'a UdpSocket,
    pub(crate) addr: SocketAddr,
    buf: Vec<u8>,
    /// The receive timeout last set on the socket, so the common case (one
    /// packet per wait) costs no setsockopt per block.
    read_timeout: Option<Duration>,
    /// The peer has answered (an ACK or DATA at this transfer's port): it
    /// receives what is sent to it, so this is no reflection.
    proven: bool,
}

/// Before the peer has answered, the request may have come from a spoofed
/// address: the first packet is sent again at most this many times.
pub(crate) const UNPROVEN_RETRIES: u32 = 2;

/// What `Peer::wait` got.
enum Got<'b> {
    Packet(Packet<'b>),
    Timeout,
}

impl<'a> Peer<'a> {
    pub(crate) fn new(sock: &'a UdpSocket, addr: SocketAddr, blksize: usize) -> Self {
        Peer { sock, addr, buf: vec![0; blksize + 4 + 1], read_timeout: None, proven: false }
    }

    pub(crate) fn send(&self, bytes: &[u8]) -> Result<(), Failure> {
        self.sock.send_to(bytes, self.addr).map(drop).map_err(Failure::Network)
    }

    /// Sends each packet as its own datagram, in as few calls as possible.
    fn send_all(&self, packets: &[&[u8]]) -> Result<(), Failure> {
        match packets {
            [one] => self.send(one),
            _ => crate::sys::net::send_datagrams(self.sock, self.addr, packets).map_err(Failure::Network),
        }
    }

    pub(crate) fn send_error(&self, code: ErrorCode, message: &str) {
        let _ = self.sock.send_to(&packet::error(code, message), self.addr);
    }

    /// Waits until `deadline` for a packet from the peer. Packets from other
    /// ports or hosts get ERROR 5 (unless they are ERRORs) and do not disturb
    /// the transfer (RFC 1350 §4).
    fn wait(&mut self, deadline: Instant) -> Result<Got<'_>, Failure> {
        let Some(n) = self.receive_from_peer(deadline)? else { return Ok(Got::Timeout) };
        match packet::parse(&self.buf[..n]) {
            Ok(p) => {
                self.proven |= matches!(p, Packet::Ack { .. } | Packet::Data { .. });
                Ok(Got::Packet(p))
            }
            Err(e) => {
                let _ = self.sock.send_to(&packet::error(ErrorCode::IllegalOperation, &e.message()), self.addr);
                Err(Failure::Protocol(e.message()))
            }
        }
    }

    /// The length of the next datagram from the peer, or `None` at the deadline.
    fn receive_from_peer(&mut self, deadline: Instant) -> Result<Option<usize>, Failure> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            // Rounded up to 10 ms so a fresh deadline reuses the timeout already set.
            let want = Duration::from_millis((left.as_millis() as u64).div_ceil(10) * 10);
            if self.read_timeout != Some(want) {
                self.sock.set_read_timeout(Some(want)).map_err(Failure::Network)?;
                self.read_timeout = Some(want);
            }
            match self.sock.recv_from(&mut self.buf) {
                Ok((n, from)) if from == self.addr => return Ok(Some(n)),
                // Never an answer to an ERROR (see packet::is_error).
                Ok((n, from)) => {
                    if !packet::is_error(&self.buf[..n]) {
                        let _ = self
                            .sock
                            .send_to(&packet::error(ErrorCode::UnknownTid, ErrorCode::UnknownTid.text()), from);
                    }
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // ICMP port unreachable from an earlier send: the peer is gone or
                // not listening yet; the timeout decides.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(e) => return Err(Failure::Network(e)),
            }
        }
    }

    /// When the next answer is due: the negotiated timeout once the peer has
    /// answered, the server's own before.
    fn deadline(&self, params: &Params) -> Instant {
        let timeout = if self.proven { params.timeout } else { params.timeout.min(params.first_timeout) };
        Instant::now() + timeout
    }

    /// Counts one more timeout; fails once there were more than `retries`
    /// in a row (fewer while the peer has not answered yet).
    fn retry(&self, tries: &mut u32, params: &Params) -> Result<(), Failure> {
        *tries += 1;
        let limit = if self.proven { params.retries } else { params.retries.min(UNPROVEN_RETRIES) };
        if *tries > limit {
            return Err(Failure::Timeout);
        }
        crate::metrics::TFTP.retransmissions.inc();
        Ok(())
    }

    /// Sends `first` (OACK) and waits for ACK 0; resent on timeout.
    pub(crate) fn oack_handshake(&mut self, oack: &[u8], params: &Params) -> Result<(), Failure> {
        self.send(oack)?;
        let mut tries = 0;
        loop {
            let deadline = self.deadline(params);
            match self.wait(deadline)? {
                Got::Packet(Packet::Ack { block: 0 }) => return Ok(()),
                Got::Packet(Packet::Error { code, message }) => return Err(Failure::Peer(code, message)),
                Got::Packet(_) => {}
                Got::Timeout => {
                    self.retry(&mut tries, params)?;
                    self.send(oack)?;
                }
            }
        }
    }
}

/// Reads up to `buf.len()` bytes, fewer only at end of input.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// RRQ: sends `source` in windows of `windowsize` blocks (RFC 7440). Returns
/// the bytes of payload sent. The window is kept in memory for
/// retransmission, each block as the DATA packet it is sent as; the buffers
/// of acknowledged blocks carry the next ones (a fresh 64 KiB allocation
/// per block cost page faults and an madvise per window), and a window goes
/// out in one sendmmsg.
pub(crate) fn send(peer: &mut Peer<'_>, source: &mut impl Read, params: &Params) -> Result<u64, Failure> {
    let mut window: VecDeque<Vec<u8>> = VecDeque::with_capacity(params.windowsize as usize);
    let mut spare: Vec<Vec<u8>> = Vec::with_capacity(params.windowsize as usize);
    let mut base: u64 = 1; // block number of window[0]
    let mut produced_last = false;
    let mut sent_bytes = 0u64;
    let mut tries = 0;
    loop {
        while !produced_last && window.len() < params.windowsize as usize {
            let mut block = spare.pop().unwrap_or_default();
            let number = (base + window.len() as u64) as u16;
            let n = packet::fill_data(number, params.blksize, &mut block, |payload| read_full(source, payload))
                .map_err(|e| {
                    peer.send_error(ErrorCode::NotDefined, "read error");
                    Failure::Local(e)
                })?;
            produced_last = n < params.blksize;
            window.push_back(block);
        }
        if window.is_empty() {
            return Ok(sent_bytes);
        }
        let packets: Vec<&[u8]> = window.iter().map(Vec::as_slice).collect();
        peer.send_all(&packets)?;
        let deadline = peer.deadline(params);
        loop {
            match peer.wait(deadline)? {
                Got::Packet(Packet::Ack { block }) => {
                    // How many blocks of this window the ACK covers (block numbers wrap).
                    let k = u64::from(block.wrapping_sub((base - 1) as u16));
                    if k == 0 || k > window.len() as u64 {
                        continue; // duplicate or stale ACK: never resend for it
                    }
                    for b in window.drain(..k as usize) {
                        sent_bytes += packet::payload_len(&b) as u64;
                        spare.push(b);
                    }
                    base += k;
                    tries = 0;
                    break;
                }
                Got::Packet(Packet::Error { code, message }) => return Err(Failure::Peer(code, message)),
                Got::Packet(_) => {}
                Got::Timeout => {
                    peer.retry(&mut tries, params)?;
                    break; // resend the window from the last acknowledged block
                }
            }
        }
    }
}

/// What `receive` got: the payload bytes, and the last block, whose ACK the
/// caller sends with [`finish_upload`] once the data is safely in place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received {
    pub(crate) bytes: u64,
    pub(crate) last_block: u16,
}

/// WRQ: receives blocks in order into `sink` (after `first` — ACK 0 or an
/// OACK — was sent), ACKing each window except the last block.
pub(crate) fn receive(
    peer: &mut Peer<'_>,
    first: &[u8],
    sink: &mut impl FnMut(&[u8]) -> io::Result<()>,
    params: &Params,
) -> Result<Received, Failure> {
    peer.send(first)?;
    let mut expected: u64 = 1;
    let mut last_ack: Vec<u8> = first.to_vec();
    let mut in_window = 0u16;
    let mut received = 0u64;
    let mut tries = 0;
    loop {
        let deadline = peer.deadline(params);
        let got = peer.wait(deadline)?;
        let (block, data) = match got {
            Got::Packet(Packet::Data { block, data }) => (block, data),
            Got::Packet(Packet::Error { code, message }) => return Err(Failure::Peer(code, message)),
            Got::Packet(_) => continue,
            Got::Timeout => {
                peer.retry(&mut tries, params)?;
                peer.send(&last_ack)?;
                in_window = 0;
                continue;
            }
        };
        if block != expected as u16 {
            // Out of order or a repeat: say where we are (RFC 7440 §4).
            peer.send(&last_ack)?;
            in_window = 0;
            continue;
        }
        if data.len() > params.blksize {
            peer.send_error(ErrorCode::IllegalOperation, "block larger than blksize");
            return Err(Failure::Protocol("oversized block".into()));
        }
        let last = data.len() < params.blksize;
        received += data.len() as u64;
        if params.max_upload > 0 && received > params.max_upload {
            peer.send_error(ErrorCode::DiskFull, "upload too large");
            return Err(Failure::TooLarge);
        }
        if let Err(e) = sink(data) {
            let code = if e.kind() == io::ErrorKind::StorageFull { ErrorCode::DiskFull } else { ErrorCode::NotDefined };
            peer.send_error(code, "write error");
            return Err(Failure::Local(e));
        }
        if last {
            return Ok(Received { bytes: received, last_block: block });
        }
        tries = 0;
        in_window += 1;
        expected += 1;
        last_ack = packet::ack(block).to_vec();
        if in_window >= params.windowsize {
            peer.send(&last_ack)?;
            in_window = 0;
        }
    }
}

/// Sends the final ACK of an upload (after the caller put the file in place:
/// an acknowledged upload is on disk), then answers a repeated final DATA —
/// our ACK was lost — for one timeout period.
pub(crate) fn finish_upload(peer: &mut Peer<'_>, received: Received, params: &Params) -> Result<(), Failure> {
    let ack = packet::ack(received.last_block);
    peer.send(&ack)?;
    let last_block = received.last_block;
    let deadline = Instant::now() + params.timeout.min(Duration::from_secs(1));
    while let Ok(Got::Packet(p)) = peer.wait(deadline) {
        if let Packet::Data { block, .. } = p {
            if block == last_block {
                let _ = peer.send(&ack);
            }
        }
    }
    Ok(())
}

/// A `Write` as a sink closure.
pub(crate) fn write_sink<W: Write>(w: &mut W) -> impl FnMut(&[u8]) -> io::Result<()> + '_ {
    move |data| w.write_all(data)
}
