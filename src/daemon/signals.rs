//! Signals become events for the master: a signal-hook thread sends them on
//! a channel and writes one byte to a wake socket the master polls beside
//! its listeners.

use crate::sys::net;
use crossbeam_channel::{Receiver, unbounded};
use log::warn;
use nix::poll::{PollFd, PollFlags};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
use signal_hook::iterator::Signals;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// SIGHUP: re-read the config and reopen log files.
    Reload,
    /// SIGUSR1: reopen log files.
    ReopenLogs,
    /// SIGTERM, SIGINT.
    Shutdown,
}

/// Starts the signal thread; returns the events and the socket to poll.
pub(crate) fn start() -> io::Result<(Receiver<Event>, UnixStream)> {
    let mut signals = Signals::new([SIGHUP, SIGUSR1, SIGTERM, SIGINT])?;
    let (tx, rx) = unbounded();
    let (wake_rx, mut wake_tx) = UnixStream::pair()?;
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        for sig in signals.forever() {
            let event = match sig {
                SIGHUP => Event::Reload,
                SIGUSR1 => Event::ReopenLogs,
                _ => Event::Shutdown,
            };
            if tx.send(event).is_err() {
                return;
            }
            let _ = wake_tx.write_all(&[1]);
        }
    })?;
    Ok((rx, wake_rx))
}

/// The drain after SIGTERM (rftpd's sessions, rtftpd's transfers): waits
/// up to `grace` for `active()` to reach 0, checking every 50 ms; a second
/// SIGTERM/SIGINT ends the wait at once. `what` names the things waited for.
pub(crate) fn wait_drained(
    events: &Receiver<Event>,
    wake: &mut UnixStream,
    grace: Duration,
    what: &str,
    active: impl Fn() -> usize,
) -> io::Result<()> {
    let deadline = Instant::now() + grace;
    while active() > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            warn!("shutdown_grace over with {} {what} still running", active());
            break;
        }
        let mut fds = [PollFd::new(wake.as_fd(), PollFlags::POLLIN)];
        if net::poll(&mut fds, Some(left.min(Duration::from_millis(50))))? > 0 {
            let _ = wake.read(&mut [0u8; 64]);
            if events.try_iter().any(|e| e == Event::Shutdown) {
                warn!("second signal: exiting now");
                break;
            }
        }
    }
    Ok(())
}
