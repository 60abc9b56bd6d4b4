//! Data connections: open them, check the peer, hand back a stream. Never
//! touches the disk.
//!
//! Passive: listen on a port from the configured range on the control
//! connection's local address and accept only the control peer's address
//! (theft protection). Active: connect only to the control peer (bounce
//! protection is checked by the PORT/EPRT handler), from port 20 when allowed.

use crate::daemon::admission::Slot;
use crate::proxy::Networks;
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
    /// Its place under max_pasv_per_ip, given back with the listener.
    _slot: Option<Slot>,
    /// The client's connection, taken while the session waited for the
    /// transfer command (see [`PassiveListener::take_waiting`]).
    early: Option<TcpStream>,
    /// A stranger's connection was refused (the transfer then says so).
    refused: bool,
}

/// Who may connect to a passive port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeerCheck {
    /// Only the control connection's client (theft protection, RFC 2577 §5).
    ControlPeerOnly,
    /// Anyone (pasv_promiscuous).
    AnyAddress,
}

/// Who may carry a session's data: its client (or anyone, with
/// pasv_promiscuous), as named by a trusted balancer's PROXY header when
/// the connection comes from one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DataPeer<'a> {
    pub(crate) client: IpAddr,
    pub(crate) check: PeerCheck,
    pub(crate) proxies: Option<&'a Networks>,
}

impl<'a> DataPeer<'a> {
    /// The session's client under `config`'s pasv_promiscuous and PROXY keys.
    pub(crate) fn of(client: IpAddr, config: &'a crate::config::Config) -> DataPeer<'a> {
        DataPeer {
            client,
            check: PeerCheck::from_promiscuous(config.pasv_promiscuous),
            proxies: config.proxy_protocol_enable.then_some(&config.proxy_protocol_from),
        }
    }
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

/// Connections a passive listener queues: the client may open more than
/// one by mistake (or retry); strangers never reach it (see open_passive).
const PASSIVE_BACKLOG: i32 = 4;

/// A cheap spread of starting points so concurrent sessions don't all probe
/// the same port first. Not security-relevant: the peer check guards the port.
fn start_offset(span: u32) -> u32 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let n = PORT_SEED.fetch_add(7919, Ordering::Relaxed);
    nanos.wrapping_add(n) % span
}

/// Listens for a passive data connection on `local_ip`, on a free port of
/// `range` (inclusive) or any port when `None`. With `only_from`, the kernel
/// drops connection attempts from other addresses before they reach the
/// backlog, so a thief cannot fill it and starve the client.
pub(crate) fn open_passive(
    local_ip: IpAddr,
    range: Option<(u16, u16)>,
    only_from: Option<IpAddr>,
    slot: Option<Slot>,
) -> io::Result<PassiveListener> {
    // The filter compares one family; an address of the other is left to the accept check.
    let only_from = only_from.filter(|p| p.is_ipv4() == local_ip.is_ipv4());
    let mut slot = slot;
    let mut listen = |port: u16| -> io::Result<PassiveListener> {
        let listener = net::listen_for(SocketAddr::new(local_ip, port), PASSIVE_BACKLOG, only_from)?;
        let port = listener.local_addr()?.port();
        Ok(PassiveListener { listener, port, _slot: slot.take(), early: None, refused: false })
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
    /// The listener to watch while the session waits for its next command,
    /// until the client's connection has been taken.
    pub(crate) fn waiting_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.early.is_none().then(|| self.listener.as_fd())
    }

    /// Takes what is queued on the listener now, so strangers never hold
    /// its backlog against the client: the first connection `who` allows is
    /// kept for the transfer, every other one is closed.
    pub(crate) fn take_waiting(&mut self, who: DataPeer<'_>) {
        loop {
            let mut fds = [PollFd::new(self.listener.as_fd(), PollFlags::POLLIN)];
            if !matches!(net::poll(&mut fds, Some(Duration::ZERO)), Ok(n) if n > 0) {
                return;
            }
            let Ok((stream, from)) = self.listener.accept() else { return };
            if let Some(stream) = self.screen(stream, from, who)
                && self.early.is_none()
            {
                self.early = Some(stream);
            }
        }
    }

    /// Waits up to `timeout` for a connection `who` allows. Others are
    /// dropped and logged and the wait goes on.
    pub(crate) fn accept(mut self, who: DataPeer<'_>, timeout: Duration) -> Result<TcpStream, DataError> {
        if let Some(stream) = self.early.take() {
            return Ok(stream);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut fds = [PollFd::new(self.listener.as_fd(), PollFlags::POLLIN)];
            if left.is_zero() || net::poll(&mut fds, Some(left)).map_err(DataError::Io)? == 0 {
                return Err(if self.refused { DataError::BadIp } else { DataError::Timeout });
            }
            let (stream, from) = match self.listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                Err(e) => return Err(DataError::Io(e)),
            };
            if let Some(stream) = self.screen(stream, from, who) {
                return Ok(stream);
            }
        }
    }

    /// The connection if it may carry the session's data; a stranger's is
    /// closed, logged and remembered (RFC 2577 §5, port stealing).
    fn screen(&mut self, stream: TcpStream, from: SocketAddr, who: DataPeer<'_>) -> Option<TcpStream> {
        let from = source(&stream, from, who.proxies)?.ip().to_canonical();
        if who.check == PeerCheck::AnyAddress || from == who.client {
            return Some(stream);
        }
        warn!("passive data connection from {from} refused: control peer is {}", who.client);
        self.refused = true;
        None
    }
}

/// Where a data connection really comes from: its peer, or, from a trusted
/// balancer (`proxies`), the client its PROXY header names. `None` (and
/// the connection is dropped) for a balancer's health check or a bad header.
fn source(stream: &TcpStream, from: SocketAddr, proxies: Option<&Networks>) -> Option<SocketAddr> {
    if !proxies.is_some_and(|p| p.contains(from.ip())) {
        return Some(from);
    }
    match crate::proxy::read_header(stream) {
        Ok(crate::proxy::Header::Proxied { client, .. }) => Some(client),
        Ok(crate::proxy::Header::Local) => None,
        Err(e) => {
            warn!("passive data connection from balancer {}: {e}", from.ip().to_canonical());
            None
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
