//! Sockets handed over by systemd socket activation (`LISTEN_FDS`).

use super::io_err;
use nix::sys::socket::SockType;
use nix::sys::socket::{getsockopt, sockopt};
use std::io;
use std::net::{TcpListener, UdpSocket};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

const SD_LISTEN_FDS_START: RawFd = 3;

/// The sockets systemd passed (fds 3.. when LISTEN_PID is this process),
/// each checked to be of `kind` (and listening, for streams). Empty when this
/// process was not socket-activated. The variables are removed so children
/// do not see them. Call before any thread starts.
fn passed(kind: SockType) -> io::Result<Vec<OwnedFd>> {
    let pid_matches = std::env::var("LISTEN_PID").ok().and_then(|p| p.parse::<u32>().ok()) == Some(std::process::id());
    let count: RawFd = std::env::var("LISTEN_FDS").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
    // SAFETY: called from main before any other thread exists, so nothing reads the environment concurrently.
    unsafe {
        std::env::remove_var("LISTEN_PID");
        std::env::remove_var("LISTEN_FDS");
        std::env::remove_var("LISTEN_FDNAMES");
    }
    if !pid_matches || count <= 0 {
        return Ok(Vec::new());
    }
    let mut fds = Vec::new();
    for fd in SD_LISTEN_FDS_START..SD_LISTEN_FDS_START + count {
        // SAFETY: systemd passes fds 3..3+LISTEN_FDS to the process whose pid is
        // LISTEN_PID (checked above); nothing else in this process owns them.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        nix::fcntl::fcntl(&owned, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC)).map_err(io_err)?;
        let ok_type = getsockopt(&owned, sockopt::SockType).map_err(io_err)? == kind;
        let listening = kind != SockType::Stream || getsockopt(&owned, sockopt::AcceptConn).map_err(io_err)?;
        if !ok_type || !listening {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("passed fd {fd} is not a {kind:?} socket ready for use"),
            ));
        }
        fds.push(owned);
    }
    Ok(fds)
}

/// Listening TCP sockets passed by systemd socket activation (rftpd).
pub fn listen_fds() -> io::Result<Vec<TcpListener>> {
    Ok(passed(SockType::Stream)?.into_iter().map(TcpListener::from).collect())
}

/// Bound UDP sockets passed by systemd socket activation (rtftpd).
pub fn datagram_fds() -> io::Result<Vec<UdpSocket>> {
    Ok(passed(SockType::Datagram)?.into_iter().map(UdpSocket::from).collect())
}
