//! The master: owns the listeners, counts sessions, hands each accepted
//! connection to the pool and never talks FTP beyond a 421.

pub mod limits;
pub mod listen;
pub mod pool;
pub mod signals;

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
use std::sync::Arc;
use std::time::Duration;

/// Log files the master reopens on SIGHUP/SIGUSR1.
pub struct Logs {
    pub server: Option<LogFile>,
}

/// Accepts connections until SIGTERM/SIGINT.
pub fn run(shared: Arc<Shared>, listeners: Vec<TcpListener>, logs: Logs) -> io::Result<()> {
    let (events, mut wake) = signals::start()?;
    for l in &listeners {
        l.set_nonblocking(true)?;
        info!("listening on {}", l.local_addr()?);
    }
    let config = shared.config.clone();
    let mut pool = Pool::new(config.max_clients);
    let per_ip = limits::PerIp::default();
    let mut next_sid: u64 = 1;
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
                        info!("shutting down");
                        return Ok(());
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

/// Counts the new connection and hands it over, or refuses it with 421.
fn admit(pool: &mut Pool, per_ip: &limits::PerIp, shared: &Arc<Shared>, stream: TcpStream, sid: u64) {
    let Ok(peer) = stream.peer_addr() else { return };
    let ip = peer.ip().to_canonical();
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
