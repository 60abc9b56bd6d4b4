//! Sockets handed over by systemd socket activation (`LISTEN_FDS`).

use super::io_err;
use nix::sys::socket::{getsockopt, sockopt};
use std::io;
use std::net::TcpListener;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

const SD_LISTEN_FDS_START: RawFd = 3;

/// The listening TCP sockets passed by systemd, or an empty list when this
/// process was not socket-activated. The variables are removed so children
/// do not see them.
pub fn listen_fds() -> io::Result<Vec<TcpListener>> {
    let pid_matches = std::env::var("LISTEN_PID").ok().and_then(|p| p.parse::<u32>().ok()) == Some(std::process::id());
    let count: RawFd = std::env::var("LISTEN_FDS").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
    // SAFETY: rftpd is single-threaded when this runs (before any thread is spawned).
    unsafe {
        std::env::remove_var("LISTEN_PID");
        std::env::remove_var("LISTEN_FDS");
        std::env::remove_var("LISTEN_FDNAMES");
    }
    if !pid_matches || count <= 0 {
        return Ok(Vec::new());
    }
    let mut listeners = Vec::new();
    for fd in SD_LISTEN_FDS_START..SD_LISTEN_FDS_START + count {
        // SAFETY: systemd passes fds 3..3+LISTEN_FDS to the process whose pid is
        // LISTEN_PID (checked above); nothing else in this process owns them.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        nix::fcntl::fcntl(&owned, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC)).map_err(io_err)?;
        let is_stream = getsockopt(&owned, sockopt::SockType).map_err(io_err)? == nix::sys::socket::SockType::Stream;
        let listening = getsockopt(&owned, sockopt::AcceptConn).map_err(io_err)?;
        if !is_stream || !listening {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("passed fd {fd} is not a listening TCP socket"),
            ));
        }
        listeners.push(TcpListener::from(owned));
    }
    Ok(listeners)
}
