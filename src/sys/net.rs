//! Sockets std cannot make: listeners with options set before `bind`, active
//! data connections bound to a chosen source port, and `poll` over several fds.

use super::io_err;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{self, AddressFamily, Backlog, SockFlag, SockType, SockaddrStorage, sockopt};
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

fn family(addr: &SocketAddr) -> AddressFamily {
    if addr.is_ipv4() { AddressFamily::Inet } else { AddressFamily::Inet6 }
}

fn new_tcp_socket(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let fd = socket::socket(family(addr), SockType::Stream, SockFlag::SOCK_CLOEXEC, None).map_err(io_err)?;
    socket::setsockopt(&fd, sockopt::ReuseAddr, &true).map_err(io_err)?;
    Ok(fd)
}

/// A listening socket on `addr` with SO_REUSEADDR. `[::]` is bound dual-stack
/// (IPV6_V6ONLY off) so one socket serves IPv4 and IPv6; other IPv6 addresses
/// are bound v6-only so they can sit beside IPv4 listeners on the same port.
pub(crate) fn listen(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    let fd = new_tcp_socket(&addr)?;
    if let IpAddr::V6(ip) = addr.ip() {
        socket::setsockopt(&fd, sockopt::Ipv6V6Only, &(ip != Ipv6Addr::UNSPECIFIED)).map_err(io_err)?;
    }
    let sa = SockaddrStorage::from(addr);
    socket::bind(fd.as_raw_fd(), &sa).map_err(io_err)?;
    let backlog = Backlog::new(backlog).unwrap_or(Backlog::MAXCONN);
    socket::listen(&fd, backlog).map_err(io_err)?;
    Ok(TcpListener::from(fd))
}

/// Connects to `to` from `from`, waiting at most `timeout`. `from` with port 0
/// lets the kernel pick the source port.
pub(crate) fn connect_from(from: SocketAddr, to: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let fd = new_tcp_socket(&to)?;
    socket::bind(fd.as_raw_fd(), &SockaddrStorage::from(from)).map_err(io_err)?;
    let stream = TcpStream::from(fd);
    stream.set_nonblocking(true)?;
    match socket::connect(stream.as_raw_fd(), &SockaddrStorage::from(to)) {
        Ok(()) => {}
        Err(Errno::EINPROGRESS) => {
            if !wait_writable(stream.as_fd(), timeout)? {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"));
            }
            if let Some(e) = stream.take_error()? {
                return Err(e);
            }
        }
        Err(e) => return Err(io_err(e)),
    }
    stream.set_nonblocking(false)?;
    Ok(stream)
}

fn wait_writable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    let mut fds = [PollFd::new(fd, PollFlags::POLLOUT)];
    Ok(poll(&mut fds, Some(timeout))? > 0)
}

/// poll(2) with EINTR retried against the same deadline; `None` waits forever.
/// Returns the number of ready fds (0 on timeout).
pub(crate) fn poll(fds: &mut [PollFd<'_>], timeout: Option<Duration>) -> io::Result<usize> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let wait = match deadline {
            None => PollTimeout::NONE,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now()).as_millis().min(i32::MAX as u128);
                PollTimeout::try_from(left as i32).unwrap_or(PollTimeout::MAX)
            }
        };
        match nix::poll::poll(fds, wait) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(io_err(e)),
            Ok(n) => return Ok(n as usize),
        }
    }
}

/// Whether a poll entry reported readiness (data, hang-up or error all count:
/// the next read will tell which).
pub(crate) fn is_ready(fd: &PollFd<'_>) -> bool {
    fd.revents().is_some_and(|r| !r.is_empty())
}

/// Options for a control connection: urgent data inline (so Telnet `IAC IP
/// IAC DM` before ABOR arrives in the byte stream, RFC 959 §4.1.3) and no
/// Nagle delay on replies.
pub(crate) fn tune_control(stream: &TcpStream) -> io::Result<()> {
    socket::setsockopt(stream, sockopt::OobInline, &true).map_err(io_err)?;
    stream.set_nodelay(true)
}

/// The bound UDP socket on standard input, its first request queued (inetd
/// `wait` for TFTP, systemd `Accept=no` datagram sockets with `--inetd`).
pub fn stdin_datagram() -> io::Result<std::net::UdpSocket> {
    let fd = nix::unistd::dup(io::stdin().as_fd()).map_err(io_err)?;
    if socket::getsockopt(&fd, sockopt::SockType).map_err(io_err)? != SockType::Datagram {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a datagram socket"));
    }
    Ok(std::net::UdpSocket::from(fd))
}

/// The connected TCP socket on standard input (inetd `nowait`, systemd `Accept=yes`).
pub fn stdin_stream() -> io::Result<TcpStream> {
    let fd = nix::unistd::dup(io::stdin().as_fd()).map_err(io_err)?;
    let accepting = socket::getsockopt(&fd, sockopt::AcceptConn).map_err(io_err)?;
    if accepting {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "a listening socket, not a connection"));
    }
    let stream = TcpStream::from(fd);
    stream.peer_addr()?;
    Ok(stream)
}

/// A UDP socket bound to `addr`; `[::]` is dual-stack, other IPv6 addresses v6-only.
pub(crate) fn udp_bind(addr: SocketAddr) -> io::Result<std::net::UdpSocket> {
    let fd = socket::socket(family(&addr), SockType::Datagram, SockFlag::SOCK_CLOEXEC, None).map_err(io_err)?;
    if let IpAddr::V6(ip) = addr.ip() {
        socket::setsockopt(&fd, sockopt::Ipv6V6Only, &(ip != Ipv6Addr::UNSPECIFIED)).map_err(io_err)?;
    }
    socket::bind(fd.as_raw_fd(), &SockaddrStorage::from(addr)).map_err(io_err)?;
    Ok(std::net::UdpSocket::from(fd))
}
