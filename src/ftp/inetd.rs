//! One session on the connection inetd (or systemd's `Accept=yes`) passed
//! on standard input, answering signals as the daemon does: SIGTERM lets a
//! running transfer finish, says `421` and ends within shutdown_grace (a
//! second SIGTERM ends it at once); SIGHUP and SIGUSR1 reopen the logs and
//! the session goes on.

use super::server::Server;
use crate::daemon::signals::{self, Event};
use crate::log::file::LogFile;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use log::{info, warn};
use std::io;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

pub fn serve_inetd(stream: TcpStream, server: Arc<Server>, log: Option<LogFile>) -> io::Result<()> {
    let (events, wake) = signals::start()?;
    let watched = server.clone();
    std::thread::Builder::new().name("signals-watch".into()).spawn(move || {
        // The signal thread writes a byte here per signal: keep it open.
        let _wake = wake;
        watch(&events, &watched, log.as_ref());
    })?;
    if !server.config.upload_hook.is_empty() {
        super::hooks::start(1)?;
    }
    super::session::serve(stream, 1, &server, super::admit::Admission::Inetd);
    Ok(())
}

fn watch(events: &Receiver<Event>, server: &Server, log: Option<&LogFile>) {
    while let Ok(event) = events.recv() {
        match event {
            Event::Reload | Event::ReopenLogs => server.reopen_logs(log),
            Event::Shutdown => return drain(events, server),
        }
    }
}

/// The session sees the end of its control connection, finishes a running
/// transfer and says 421; the process ends when it does, or at the grace.
fn drain(events: &Receiver<Event>, server: &Server) {
    let grace = server.config.shutdown_grace;
    info!("shutting down: the session ends after its transfer, waiting up to {}s", grace.as_secs());
    server.registry.drain();
    let deadline = Instant::now() + grace;
    loop {
        match events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Event::Shutdown) => {
                warn!("second signal: exiting now");
                break;
            }
            Ok(_) => continue,
            Err(RecvTimeoutError::Timeout) => {
                warn!("shutdown_grace over with the session still running");
                break;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
    std::process::exit(0);
}
