//! Signals become events for the master: a signal-hook thread sends them on
//! a channel and writes one byte to a wake socket the master polls beside
//! its listeners.

use crossbeam_channel::{Receiver, unbounded};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
use signal_hook::iterator::Signals;
use std::io::{self, Write};
use std::os::unix::net::UnixStream;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// SIGHUP: re-read the config and reopen log files.
    Reload,
    /// SIGUSR1: reopen log files.
    ReopenLogs,
    /// SIGTERM, SIGINT.
    Shutdown,
}

/// Starts the signal thread; returns the events and the socket to poll.
pub fn start() -> io::Result<(Receiver<Event>, UnixStream)> {
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
