//! The master: owns the listeners, counts sessions, hands each accepted
//! connection to the pool and never talks FTP beyond a 421.

pub mod lifecycle;
pub mod limits;
pub mod listen;
pub mod notify;
pub mod pool;
pub mod signals;

use crate::config::{Config, Source};
use crate::ftp::Shared;
use crate::ftp::reply::Reply;
use crate::limits::REFUSAL_WRITE_TIMEOUT_MS;
use crate::log::file::LogFile;
use crate::sys::net;
use log::{error, info, warn};
use nix::poll::{PollFd, PollFlags};
use pool::{Job, Pool};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Log files the master reopens on SIGHUP/SIGUSR1.
pub struct Logs {
    pub server: Option<LogFile>,
}

/// Everything `--check-config` checks beyond the key syntax: the users file
/// parses, the anonymous root exists, the certificate loads. Returns the
/// loaded TLS set-up, for [`Shared::new`].
pub fn preflight(config: &Config) -> Result<Option<crate::tls::Tls>, String> {
    if !config.user_file.is_empty() && std::path::Path::new(&config.user_file).exists() {
        crate::auth::users::load(&config.user_file).map_err(|e| e.0)?;
    }
    if config.anonymous_enable && !std::path::Path::new(&config.anon_root).is_dir() {
        return Err(format!("anon_root: {} is not a directory", config.anon_root));
    }
    crate::tls::Tls::load(config)
}

/// Accepts connections until SIGTERM/SIGINT, then drains.
pub fn run(source: &Source, shared: Arc<Shared>, listeners: Vec<TcpListener>, logs: Logs) -> io::Result<()> {
    let (events, mut wake) = signals::start()?;
    for l in &listeners {
        l.set_nonblocking(true)?;
        info!("listening on {}", l.local_addr()?);
    }
    let mut shared = shared;
    let mut pool = Pool::new(shared.config.max_clients);
    let per_ip = limits::PerIp::default();
    let mut next_sid: u64 = 1;
    notify::notify("READY=1\nSTATUS=Accepting connections");
    loop {
        let mut fds: Vec<PollFd<'_>> = listeners.iter().map(|l| PollFd::new(l.as_fd(), PollFlags::POLLIN)).collect();
        fds.push(PollFd::new(wake.as_fd(), PollFlags::POLLIN));
        net::poll(&mut fds, None)?;
        let ready: Vec<bool> = fds.iter().map(net::is_ready).collect();
        drop(fds);
        if ready[listeners.len()] {
            let mut buf = [0u8; 64];
            let _ = wake.read(&mut buf);
            for event in events.try_iter() {
                match event {
                    signals::Event::Shutdown => {
                        drop(listeners);
                        return drain(&shared, &events, &mut wake);
                    }
                    signals::Event::Reload => {
                        reopen(&logs, &shared);
                        if let Some(new) = reload(source, &shared) {
                            pool.set_max(new.config.max_clients);
                            shared = new;
                        }
                    }
                    signals::Event::ReopenLogs => reopen(&logs, &shared),
                }
            }
        }
        for (listener, _) in listeners.iter().zip(&ready).filter(|(_, r)| **r) {
            loop {
                let stream = match listener.accept() {
                    Ok((s, _)) => s,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        // EMFILE and friends: log and go back to poll rather than spin.
                        warn!("accept failed: {e}");
                        std::thread::sleep(Duration::from_millis(10));
                        break;
                    }
                };
                let sid = next_sid;
                next_sid += 1;
                admit(&mut pool, &per_ip, &shared, stream, sid);
            }
        }
    }
}

/// SIGHUP: a new config for new sessions; running sessions keep theirs. A
/// config with errors is logged and the old one stays in force.
fn reload(source: &Source, old: &Arc<Shared>) -> Option<Arc<Shared>> {
    notify::notify("RELOADING=1");
    let result = Config::load(source).map_err(|e| e.to_string()).and_then(|c| preflight(&c).map(|tls| (c, tls)));
    let new = match result {
        Ok((config, tls)) => {
            let o = &old.config;
            if config.listen_address != o.listen_address || config.listen_port != o.listen_port {
                warn!("reload: listen_address/listen_port changed; restart rftpd to apply");
            }
            if config.log_file != o.log_file {
                warn!("reload: log_file changed; restart rftpd to apply");
            }
            match Shared::new(Arc::new(config), old.lifecycle.clone(), tls) {
                Ok(s) => {
                    info!("configuration reloaded");
                    Some(Arc::new(s))
                }
                Err(e) => {
                    error!("reload failed, keeping the old configuration: {e}");
                    None
                }
            }
        }
        Err(e) => {
            error!("reload failed, keeping the old configuration: {e}");
            None
        }
    };
    notify::notify("READY=1\nSTATUS=Accepting connections");
    new
}

/// SIGTERM: no new sessions; idle ones are told 421, running transfers get up
/// to shutdown_grace seconds; a second signal ends it at once.
fn drain(
    shared: &Shared,
    events: &crossbeam_channel::Receiver<signals::Event>,
    wake: &mut UnixStream,
) -> io::Result<()> {
    notify::notify("STOPPING=1");
    let lifecycle = &shared.lifecycle;
    info!(
        "shutting down: {} session(s) open, waiting up to {}s",
        lifecycle.active(),
        shared.config.shutdown_grace.as_secs()
    );
    lifecycle.drain();
    signals::wait_drained(events, wake, shared.config.shutdown_grace, "session(s)", || lifecycle.active())?;
    info!("stopped");
    Ok(())
}

/// Counts the new connection and hands it over, or refuses it with 421.
fn admit(pool: &mut Pool, per_ip: &limits::PerIp, shared: &Arc<Shared>, stream: TcpStream, sid: u64) {
    let Ok(peer) = stream.peer_addr() else { return };
    let ip = peer.ip().to_canonical();
    match shared.lifecycle.abuse.connect(ip, shared.config.max_connect_rate, Instant::now()) {
        Ok(()) => {}
        Err(limits::Refusal::Banned) => {
            info!("session={sid} client={ip} refused: banned after failed logins");
            refuse(stream, &Reply::new(421, "Too many failed logins from your internet address; try later."));
            return;
        }
        Err(limits::Refusal::TooFast) => {
            info!("session={sid} client={ip} refused: max_connect_rate reached");
            refuse(stream, &Reply::new(421, "Too many connections from your internet address; slow down."));
            return;
        }
    }
    let Some(slot) = per_ip.acquire(ip, shared.config.max_per_ip) else {
        info!("session={sid} client={ip} refused: max_per_ip reached");
        refuse(stream, &Reply::new(421, "There are too many connections from your internet address."));
        return;
    };
    let job = Job { stream, sid, slot, shared: shared.clone() };
    if let Err(job) = pool.try_hand_over(job) {
        info!("session={sid} client={ip} refused: max_clients reached");
        refuse(job.stream, &Reply::new(421, "There are too many connected users, please try later."));
    }
}

/// Writes one reply with a short deadline and closes: the master never waits on a client.
fn refuse(stream: TcpStream, reply: &Reply) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(REFUSAL_WRITE_TIMEOUT_MS)));
    let _ = (&stream).write_all(&reply.to_bytes());
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

fn reopen(logs: &Logs, shared: &Shared) {
    for file in logs.server.iter().chain(shared.xferlog.iter()) {
        if let Err(e) = file.reopen() {
            error!("cannot reopen a log file: {e}");
        }
    }
    info!("log files reopened");
}
