//! rftpd's master: plugs FTP into the daemon core. It accepts control
//! connections, applies the per-address rules (bans, connection rate,
//! max_per_ip), hands each connection to a worker or answers `421` itself,
//! and swaps in a new [`Server`] on SIGHUP. It never talks FTP beyond a 421.

use super::preflight::{Checked, check};
use super::reply::{Reply, ReplyCode};
use super::server::Server;
use super::state::PreLoginSlots;
use crate::config::Source;
use crate::daemon::admission::{self, PerIp, Slot};
use crate::daemon::pool::Pool;
use crate::daemon::{Master, notify};
use crate::limits::REFUSAL_WRITE_TIMEOUT_MS;
use crate::log::file::LogFile;
use log::{error, info, warn};
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One accepted control connection on its way to a worker, with the
/// server (config) in force when it was accepted.
pub(crate) struct Job {
    stream: TcpStream,
    sid: u64,
    /// Its place under max_per_ip, released when the session ends.
    _slot: Slot,
    /// Its places under max_prelogin_per_ip and max_prelogin, released at login.
    prelogin: PreLoginSlots,
    server: Arc<Server>,
}

/// The key [`FtpMaster::prelogin_all`] counts every connection under.
const ALL: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

pub(crate) struct FtpMaster {
    source: Source,
    server: Arc<Server>,
    pool: Pool<Job>,
    per_ip: PerIp,
    prelogin_per_ip: PerIp,
    /// Every connection not logged in yet, under the one key [`ALL`].
    prelogin_all: PerIp,
    refusals: RefusalLog,
    next_sid: u64,
    /// The server log, reopened on SIGHUP and SIGUSR1.
    log: Option<LogFile>,
}

impl FtpMaster {
    pub(crate) fn new(source: Source, server: Arc<Server>, log: Option<LogFile>) -> FtpMaster {
        let serve = Arc::new(|job: Job| super::session::serve(job.stream, job.sid, &job.server, Some(job.prelogin)));
        let describe: fn(&Job) -> String = |job| {
            let client = job.stream.peer_addr().map(|a| a.ip().to_canonical().to_string()).unwrap_or_default();
            format!("session={} client={client}", job.sid)
        };
        let pool = Pool::new("worker", server.config.max_clients, serve, describe);
        FtpMaster {
            source,
            server,
            pool,
            per_ip: PerIp::default(),
            prelogin_per_ip: PerIp::default(),
            prelogin_all: PerIp::default(),
            refusals: RefusalLog::default(),
            next_sid: 1,
            log,
        }
    }

    /// The pool's worker counts (for the metrics endpoint).
    pub(crate) fn worker_counts(&self) -> Arc<crate::daemon::pool::Counts> {
        self.pool.counts().clone()
    }

    /// Counts the new connection and hands it over, or refuses it with 421.
    fn admit(&mut self, stream: TcpStream, sid: u64) {
        let Ok(peer) = stream.peer_addr() else { return };
        let ip = peer.ip().to_canonical();
        let config = &self.server.config;
        let refusal = match self.server.registry.abuse.connect(ip, config.max_connect_rate, Instant::now()) {
            Ok(()) => None,
            Err(admission::Refusal::Banned) => {
                Some(("banned after failed logins", "Too many failed logins from your internet address; try later."))
            }
            Err(admission::Refusal::TooFast) => {
                Some(("max_connect_rate reached", "Too many connections from your internet address; slow down."))
            }
        };
        if let Some((why, text)) = refusal {
            self.refusals.log(sid, ip, why, Instant::now());
            return refuse(stream, text);
        }
        let Some(slot) = self.per_ip.acquire(ip, config.max_per_ip) else {
            self.refusals.log(sid, ip, "max_per_ip reached", Instant::now());
            return refuse(stream, "There are too many connections from your internet address.");
        };
        let prelogin = self.prelogin_per_ip.acquire(ip, config.max_prelogin_per_ip).and_then(|per_ip| {
            let all = self.prelogin_all.acquire(ALL, config.max_prelogin)?;
            Some(PreLoginSlots::new(per_ip, all))
        });
        let Some(prelogin) = prelogin else {
            self.refusals.log(sid, ip, "too many connections not logged in", Instant::now());
            return refuse(stream, "There are too many connections not logged in; try later.");
        };
        let job = Job { stream, sid, _slot: slot, prelogin, server: self.server.clone() };
        if let Err(job) = self.pool.try_hand_over(job) {
            self.refusals.log(sid, ip, "max_clients reached", Instant::now());
            refuse(job.stream, "There are too many connected users, please try later.");
        }
    }
}

/// At most this many refusal lines a second; the rest are counted and
/// summed up in one line, so a flood of refused connections cannot flood
/// the log.
const REFUSAL_LINES_PER_SECOND: u32 = 10;

#[derive(Default)]
struct RefusalLog {
    window: Option<Instant>,
    logged: u32,
    /// Refusals not logged in this window, by reason.
    held: Vec<(&'static str, u64)>,
}

impl RefusalLog {
    fn log(&mut self, sid: u64, ip: std::net::IpAddr, why: &'static str, now: Instant) {
        use crate::metrics::{FTP, Refusal};
        let reason = match why {
            "max_clients reached" => Refusal::MaxClients,
            "max_per_ip reached" => Refusal::MaxPerIp,
            "banned after failed logins" => Refusal::Ban,
            "max_connect_rate reached" => Refusal::Rate,
            _ => Refusal::PreLogin,
        };
        FTP.refusals[reason as usize].inc();
        if self.window.is_none_or(|w| now - w >= Duration::from_secs(1)) {
            self.flush(now);
        }
        if self.logged < REFUSAL_LINES_PER_SECOND {
            self.logged += 1;
            info!("session={sid} client={ip} refused: {why}");
        } else {
            match self.held.iter_mut().find(|(w, _)| *w == why) {
                Some((_, n)) => *n += 1,
                None => self.held.push((why, 1)),
            }
        }
    }

    /// Starts a new window, first saying how many refusals went unlogged.
    fn flush(&mut self, now: Instant) {
        if !self.held.is_empty() {
            let total: u64 = self.held.iter().map(|(_, n)| n).sum();
            let by: Vec<String> = self.held.iter().map(|(w, n)| format!("{n} {w}")).collect();
            warn!("refused {total} more connection(s) without a line each: {}", by.join(", "));
            self.held.clear();
        }
        (self.window, self.logged) = (Some(now), 0);
    }
}

impl Master for FtpMaster {
    const ACTIVE: (&'static str, &'static str) = ("session(s)", "open");
    type Listener = TcpListener;

    fn started(&mut self, listeners: &[TcpListener]) -> io::Result<()> {
        for l in listeners {
            l.set_nonblocking(true)?;
            info!("listening on {}", l.local_addr()?);
        }
        notify::notify("READY=1\nSTATUS=Accepting connections");
        Ok(())
    }

    fn ready(&mut self, listener: &TcpListener) {
        loop {
            let stream = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    // EMFILE and friends: log and go back to poll rather than spin.
                    warn!("accept failed: {e}");
                    std::thread::sleep(Duration::from_millis(10));
                    return;
                }
            };
            let sid = self.next_sid;
            self.next_sid += 1;
            self.admit(stream, sid);
        }
    }

    /// A new config for new sessions; running sessions keep theirs. A config
    /// with errors is logged and the old one stays in force.
    fn reload(&mut self) {
        self.reopen_logs();
        notify::notify("RELOADING=1");
        match load_server(&self.source, &self.server) {
            Ok(server) => {
                crate::metrics::FTP.reloads[0].inc();
                info!("configuration reloaded");
                self.pool.set_max(server.config.max_clients);
                self.server = Arc::new(server);
            }
            Err(e) => {
                crate::metrics::FTP.reloads[1].inc();
                error!("reload failed, keeping the old configuration: {e}")
            }
        }
        notify::notify("READY=1\nSTATUS=Accepting connections");
    }

    fn reopen_logs(&mut self) {
        self.server.reopen_logs(self.log.as_ref());
    }

    /// Idle sessions are told 421 at once, running transfers get up to shutdown_grace.
    fn begin_drain(&mut self) -> Duration {
        self.server.registry.drain();
        self.server.config.shutdown_grace
    }

    fn active(&self) -> usize {
        self.server.registry.active()
    }
}

/// Reads the config again and builds the server the next sessions get.
fn load_server(source: &Source, old: &Server) -> Result<Server, String> {
    let Checked { config, values, prepared, notes } = check(source).map_err(|e| e.to_string())?;
    for note in notes {
        info!("config note: {note}");
    }
    let o = &old.config;
    if config.listen_address != o.listen_address || config.listen_port != o.listen_port {
        warn!("reload: listen_address/listen_port changed; restart rftpd to apply");
    }
    if config.log_file != o.log_file {
        warn!("reload: log_file changed; restart rftpd to apply");
    }
    Server::new(config, values, old.registry.clone(), prepared).map_err(|e| e.to_string())
}

/// Writes one 421 with a short deadline and closes: the master never waits on a client.
fn refuse(stream: TcpStream, text: &str) {
    let reply = Reply::new(ReplyCode::SERVICE_UNAVAILABLE, text);
    let _ = stream.set_write_timeout(Some(Duration::from_millis(REFUSAL_WRITE_TIMEOUT_MS)));
    let _ = (&stream).write_all(&reply.to_bytes());
    let _ = stream.shutdown(std::net::Shutdown::Write);
}
