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
    listen_for(addr, backlog, None)
}

/// Like [`listen`]; with `only_from`, a socket filter makes the kernel drop
/// connection attempts from any other address before they take a place in
/// the backlog (attached before `listen`, so none slips in first), where
/// the kernel lets this process attach one.
pub(crate) fn listen_for(addr: SocketAddr, backlog: i32, only_from: Option<IpAddr>) -> io::Result<TcpListener> {
    let fd = new_tcp_socket(&addr)?;
    if let IpAddr::V6(ip) = addr.ip() {
        socket::setsockopt(&fd, sockopt::Ipv6V6Only, &(ip != Ipv6Addr::UNSPECIFIED)).map_err(io_err)?;
    }
    // Best effort: some kernels let only CAP_NET_ADMIN attach socket
    // filters; the FTP session also takes waiting connections itself.
    if let Some(peer) = only_from {
        let _ = attach_source_filter(&fd, peer);
    }
    let sa = SockaddrStorage::from(addr);
    socket::bind(fd.as_raw_fd(), &sa).map_err(io_err)?;
    let backlog = Backlog::new(backlog).unwrap_or(Backlog::MAXCONN);
    socket::listen(&fd, backlog).map_err(io_err)?;
    Ok(TcpListener::from(fd))
}

/// A classic BPF program accepting only packets whose IP source is `peer`.
/// For TCP the filter runs on each SYN of a listening socket; loads at
/// SKF_NET_OFF read the IP header (IPv4 source at 12, IPv6 at 8..24).
fn source_filter(peer: IpAddr) -> Vec<libc::sock_filter> {
    const LD_ABS_W: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const JEQ: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const RET: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
    let (words, first): (Vec<u32>, i32) = match peer {
        IpAddr::V4(a) => (vec![u32::from_be_bytes(a.octets())], 12),
        IpAddr::V6(a) => {
            let o = a.octets();
            ((0..4).map(|i| u32::from_be_bytes([o[4 * i], o[4 * i + 1], o[4 * i + 2], o[4 * i + 3]])).collect(), 8)
        }
    };
    let op = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    let mut prog = Vec::new();
    let n = words.len();
    for (i, w) in words.iter().enumerate() {
        let offset = (libc::SKF_NET_OFF + first + 4 * i as i32) as u32;
        prog.push(op(LD_ABS_W, 0, 0, offset));
        // On a mismatch jump to the final "drop"; on a match go on.
        let to_drop = (2 * (n - i - 1) + 1) as u8;
        prog.push(op(JEQ, 0, to_drop, *w));
    }
    prog.push(op(RET, 0, 0, u32::MAX));
    prog.push(op(RET, 0, 0, 0));
    prog
}

fn attach_source_filter(fd: &OwnedFd, peer: IpAddr) -> io::Result<()> {
    let mut prog = source_filter(peer);
    let fprog = libc::sock_fprog { len: prog.len() as u16, filter: prog.as_mut_ptr() };
    // SAFETY: fd is an open socket; fprog points at `prog`, alive for the
    // call, and the size passed is that of the sock_fprog it points to.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&fprog as *const libc::sock_fprog).cast(),
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
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

/// Keeps at most `bytes` of not yet sent data queued in a sending socket
/// (TCP_NOTSENT_LOWAT): a write or sendfile waits until the queue drains
/// below it. Data in flight (sent, not yet acknowledged) is not counted, so
/// the congestion window still fills on long paths.
pub(crate) fn limit_unsent(stream: &TcpStream, bytes: u32) -> io::Result<()> {
    let value = bytes as libc::c_int;
    // SAFETY: stream is an open socket; the pointer and size are those of
    // `value`, alive for the call.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NOTSENT_LOWAT,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
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

/// Sends each of `packets` to `to` as a datagram of its own, with as few
/// sendmmsg(2) calls as the kernel allows (one per TFTP window, instead of
/// one sendto per block).
pub(crate) fn send_datagrams(sock: &std::net::UdpSocket, to: SocketAddr, packets: &[&[u8]]) -> io::Result<()> {
    use nix::sys::socket::SockaddrLike;
    let addr = SockaddrStorage::from(to);
    let mut iovs: Vec<libc::iovec> =
        packets.iter().map(|p| libc::iovec { iov_base: p.as_ptr() as *mut libc::c_void, iov_len: p.len() }).collect();
    let mut msgs: Vec<libc::mmsghdr> = iovs
        .iter_mut()
        .map(|iov| {
            // SAFETY: mmsghdr is plain data; all-zero is a valid empty header.
            let mut m: libc::mmsghdr = unsafe { std::mem::zeroed() };
            m.msg_hdr.msg_name = addr.as_ptr() as *mut libc::c_void;
            m.msg_hdr.msg_namelen = addr.len();
            m.msg_hdr.msg_iov = iov;
            m.msg_hdr.msg_iovlen = 1;
            m
        })
        .collect();
    let mut sent = 0;
    while sent < msgs.len() {
        // SAFETY: every header points at `addr` and at one iovec of `iovs`,
        // each describing a slice of `packets`; all outlive the call, and
        // the kernel only reads them (it writes msg_len, which is ours).
        let n = unsafe { libc::sendmmsg(sock.as_raw_fd(), msgs[sent..].as_mut_ptr(), (msgs.len() - sent) as u32, 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        } else {
            sent += n as usize;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_sent_together_arrive_whole_and_in_order() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let tx = udp_bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let big = vec![7u8; 60_000];
        let packets: Vec<&[u8]> = vec![b"one", &big, b"", b"four"];
        send_datagrams(&tx, rx.local_addr().unwrap(), &packets).unwrap();
        let mut buf = vec![0u8; 65_536];
        for want in packets {
            let (n, from) = rx.recv_from(&mut buf).unwrap();
            assert_eq!((&buf[..n], from), (want, tx.local_addr().unwrap()));
        }
    }

    #[test]
    fn a_sending_socket_keeps_the_unsent_limit_it_was_given() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let s = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        limit_unsent(&s, 128 * 1024).unwrap();
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: s is an open socket; value and len are alive and sized as passed.
        let rc = unsafe {
            libc::getsockopt(
                s.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_NOTSENT_LOWAT,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!((rc, value), (0, 128 * 1024));
    }

    #[test]
    fn a_listener_for_one_peer_accepts_only_it() {
        let l = listen_for("127.0.0.1:0".parse().unwrap(), 4, Some("127.0.0.1".parse().unwrap())).unwrap();
        let addr = l.local_addr().unwrap();
        let _ok = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
        assert!(l.accept().is_ok());
    }
}
