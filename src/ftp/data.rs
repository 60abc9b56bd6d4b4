//! Data connections: open them, check the peer, hand back a stream. Never
//! touches the disk.
//!
//! Passive: listen on a port from the configured range on the control
//! connection's local address and accept only the control peer's address
//! (theft protection). Active: connect only to the control peer (bounce
//! protection is checked by the PORT/EPRT handler), from port 20 when allowed.

use crate::sys::net;
use log::{debug, warn};
use nix::poll::{PollFd, PollFlags};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A data connection the client asked for and the next transfer will use.
#[derive(Debug)]
pub(crate) enum Pending {
    Passive(PassiveListener),
    Active(SocketAddr),
}

#[derive(Debug)]
pub(crate) struct PassiveListener {
    listener: TcpListener,
    pub(crate) port: u16,
}

/// Who may connect to a passive port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeerCheck {
    /// Only the control connection's client (theft protection, RFC 2577 §5).
    ControlPeerOnly,
    /// Anyone (pasv_promiscuous).
    AnyAddress,
}

impl PeerCheck {
    pub(crate) fn from_promiscuous(promiscuous: bool) -> PeerCheck {
        if promiscuous { PeerCheck::AnyAddress } else { PeerCheck::ControlPeerOnly }
    }
}

#[derive(Debug)]
pub(crate) enum DataError {
    /// Nobody (acceptable) connected in time.
    Timeout,
    /// Only connections from other addresses came (→ 425 Security: Bad IP connecting.).
    BadIp,
    Io(io::Error),
}

static PORT_SEED: AtomicU32 = AtomicU32::new(0);

/// A cheap spread of starting points so concurrent sessions don't all probe
/// the same port first. Not security-relevant: the peer check guards the port.
fn start_offset(span: u32) -> u32 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let n = PORT_SEED.fetch_add(7919, Ordering::Relaxed);
    nanos.wrapping_add(n) % span
}

/// Listens for a passive data connection on `local_ip`, on a free port of
/// `range` (inclusive) or any port when `None`.
pub(crate) fn open_passive(local_ip: IpAddr, range: Option<(u16, u16)>) -> io::Result<PassiveListener> {
    let listen = |port: u16| -> io::Result<PassiveListener> {
        let listener = net::listen(SocketAddr::new(local_ip, port), 1)?;
        let port = listener.local_addr()?.port();
        Ok(PassiveListener { listener, port })
    };
    let Some((lo, hi)) = range else {
        return listen(0);
    };
    let span = u32::from(hi - lo) + 1;
    let first = start_offset(span);
    let mut last_err = io::Error::from(io::ErrorKind::AddrInUse);
    for i in 0..span {
        let port = lo + ((first + i) % span) as u16;
        match listen(port) {
            Ok(l) => return Ok(l),
            Err(e) => last_err = e,
        }
    }
    Err(last_err)
}

impl PassiveListener {
    /// Waits up to `timeout` for the control peer (`peer`) to connect. Other
    /// addresses are dropped and logged and the wait goes on, unless `check`
    /// lets anyone in (pasv_promiscuous).
    pub(crate) fn accept(self, peer: IpAddr, timeout: Duration, check: PeerCheck) -> Result<TcpStream, DataError> {
        let deadline = Instant::now() + timeout;
        let mut refused = false;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut fds = [PollFd::new(self.listener.as_fd(), PollFlags::POLLIN)];
            if left.is_zero() || net::poll(&mut fds, Some(left)).map_err(DataError::Io)? == 0 {
                return Err(if refused { DataError::BadIp } else { DataError::Timeout });
            }
            let (stream, from) = match self.listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                Err(e) => return Err(DataError::Io(e)),
            };
            if check == PeerCheck::AnyAddress || from.ip().to_canonical() == peer {
                return Ok(stream);
            }
            // RFC 2577 §5 (port stealing): only the control peer may connect.
            warn!("passive data connection from {} refused: control peer is {peer}", from.ip().to_canonical());
            refused = true;
        }
    }
}

/// Connects to the client for an active-mode transfer, from `source_port`
/// of `local_ip` (port 20 with connect_from_port_20) when given and the
/// privilege allows, else from any port.
pub(crate) fn connect_active(
    local_ip: IpAddr,
    target: SocketAddr,
    source_port: Option<u16>,
    timeout: Duration,
) -> io::Result<TcpStream> {
    if let Some(port) = source_port {
        match net::connect_from(SocketAddr::new(local_ip, port), target, timeout) {
            Ok(s) => return Ok(s),
            // EACCES without CAP_NET_BIND_SERVICE; EADDRINUSE/EADDRNOTAVAIL while
            // an earlier connection to the same client port sits in TIME_WAIT.
            Err(e) => {
                debug!("active connection from port {port} to {target} failed ({e}); using any port")
            }
        }
    }
    net::connect_from(SocketAddr::new(local_ip, 0), target, timeout)
}
