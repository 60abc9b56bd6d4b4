//! The daemon core rftpd and rtftpd share: a master thread polls the
//! listening sockets and a wake socket, hands work to a bounded [`pool`],
//! turns signals into reload, log reopening and a graceful drain, and
//! knows no protocol. A server plugs in by implementing [`Master`].

pub(crate) mod admission;
pub(crate) mod listen;
pub(crate) mod notify;
pub mod pidfile;
pub(crate) mod pool;
pub(crate) mod signals;

use crate::sys::net;
use log::{info, warn};
use nix::poll::{PollFd, PollFlags};
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::time::Duration;

/// What a server plugs into the master loop. Every method runs on the
/// master thread and must not wait on a client.
pub(crate) trait Master {
    /// What the master polls: a listening TCP socket, a UDP request socket.
    type Listener: AsFd;

    /// The signal handlers are in place: say where the server listens and
    /// that it is ready (sd_notify).
    fn started(&mut self, listeners: &[Self::Listener]) -> io::Result<()>;

    /// `listener` is readable: take what is ready and hand it over or refuse it.
    fn ready(&mut self, listener: &Self::Listener);

    /// SIGHUP: read the configuration again (and reopen the logs).
    fn reload(&mut self);

    /// SIGUSR1: reopen the log files after a rotation.
    fn reopen_logs(&mut self);

    /// With nothing ready for this long, [`Master::idle`] is asked whether to stop.
    fn idle_after(&self) -> Option<Duration> {
        None
    }

    /// True stops the daemon (inetd mode with nothing running).
    fn idle(&mut self) -> bool {
        false
    }

    /// SIGTERM/SIGINT: the listeners are closed; start draining and say
    /// how long running work may take.
    fn begin_drain(&mut self) -> Duration;

    /// What is still running (sessions, transfers), for the drain.
    fn active(&self) -> usize;

    /// How the log names what [`Master::active`] counts ("session(s)"), and
    /// what they are doing while the drain waits ("open").
    const ACTIVE: (&'static str, &'static str);
}

/// Runs the master loop until SIGTERM/SIGINT (then drains) or until an
/// idle master asks to stop.
pub(crate) fn run<M: Master>(master: &mut M, listeners: Vec<M::Listener>) -> io::Result<()> {
    let (events, mut wake) = signals::start()?;
    master.started(&listeners)?;
    loop {
        let mut fds: Vec<PollFd<'_>> = listeners.iter().map(|l| PollFd::new(l.as_fd(), PollFlags::POLLIN)).collect();
        fds.push(PollFd::new(wake.as_fd(), PollFlags::POLLIN));
        let n = net::poll(&mut fds, master.idle_after())?;
        let ready: Vec<bool> = fds.iter().map(net::is_ready).collect();
        drop(fds);
        if n == 0 {
            if master.idle() {
                return Ok(());
            }
            continue;
        }
        if ready[listeners.len()] {
            let _ = wake.read(&mut [0u8; 64]);
            for event in events.try_iter() {
                match event {
                    signals::Event::Shutdown => {
                        drop(listeners);
                        return drain(master, &events, &mut wake);
                    }
                    signals::Event::Reload => master.reload(),
                    signals::Event::ReopenLogs => master.reopen_logs(),
                }
            }
        }
        for (listener, _) in listeners.iter().zip(&ready).filter(|(_, r)| **r) {
            master.ready(listener);
        }
    }
}

/// No new work; running work gets the grace the master names; a second
/// signal ends it at once.
fn drain<M: Master>(
    master: &mut M,
    events: &crossbeam_channel::Receiver<signals::Event>,
    wake: &mut std::os::unix::net::UnixStream,
) -> io::Result<()> {
    notify::notify("STOPPING=1");
    let (what, doing) = M::ACTIVE;
    let grace = master.begin_drain();
    info!("shutting down: {} {what} {doing}, waiting up to {}s", master.active(), grace.as_secs());
    signals::wait_drained(events, wake, grace, what, || master.active())?;
    info!("stopped");
    Ok(())
}

/// Panics go to the server log, not to standard error (which, under
/// inetd, may be the client's socket). The pool logs which job panicked.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let thread = std::thread::current();
        warn!("thread {} panicked{place}: {}", thread.name().unwrap_or("?"), pool::panic_text(info.payload()));
    }));
}
