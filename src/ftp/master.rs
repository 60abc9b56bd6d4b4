//! rftpd's master: plugs FTP into the daemon core. It accepts control
//! connections, applies the per-address rules (bans, connection rate,
//! max_per_ip), hands each connection to a worker or answers `421` itself,
//! and swaps in a new [`Server`] on SIGHUP. It never talks FTP beyond a 421.

use super::admit::{self, Admission, Refused};
use super::preflight::{Checked, check};
use super::server::Server;
use crate::config::Source;
use crate::daemon::pool::Pool;
use crate::daemon::{Master, notify};
use crate::log::file::LogFile;
use log::{error, info, warn};
use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One accepted control connection on its way to a worker, with the
/// server (config) in force when it was accepted.
pub(crate) struct Job {
    stream: TcpStream,
    sid: u64,
    admitted: Admission,
    server: Arc<Server>,
}

pub(crate) struct FtpMaster {
    source: Source,
    server: Arc<Server>,
    pool: Pool<Job>,
    next_sid: u64,
    /// The server log, reopened on SIGHUP and SIGUSR1.
    log: Option<LogFile>,
}

impl FtpMaster {
    pub(crate) fn new(source: Source, server: Arc<Server>, log: Option<LogFile>) -> FtpMaster {
        let serve = Arc::new(|job: Job| super::session::serve(job.stream, job.sid, &job.server, job.admitted));
        let describe: fn(&Job) -> String = |job| {
            let client = job.stream.peer_addr().map(|a| a.ip().to_canonical().to_string()).unwrap_or_default();
            format!("session={} client={client}", job.sid)
        };
        let pool = Pool::new("worker", server.config.max_clients, serve, describe);
        FtpMaster { source, server, pool, next_sid: 1, log }
    }

    /// The pool's worker counts (for the metrics endpoint).
    pub(crate) fn worker_counts(&self) -> Arc<crate::daemon::pool::Counts> {
        self.pool.counts().clone()
    }

    /// Counts the new connection and hands it over, or refuses it with 421.
    /// A connection from a trusted balancer (proxy_protocol_from) is counted
    /// by the worker once its PROXY header names the real client.
    fn admit(&mut self, stream: TcpStream, sid: u64) {
        let Ok(peer) = stream.peer_addr() else { return };
        let ip = peer.ip().to_canonical();
        let config = &self.server.config;
        let admitted = if config.proxy_protocol_enable && config.proxy_protocol_from.contains(ip) {
            Admission::Proxied
        } else {
            match admit::admit(&self.server.registry, config, ip, sid) {
                Ok(a) => Admission::Direct(a),
                Err(why) => return admit::refuse(stream, why.reply()),
            }
        };
        let job = Job { stream, sid, admitted, server: self.server.clone() };
        if let Err(job) = self.pool.try_hand_over(job) {
            self.server.registry.refusals.log(sid, ip, Refused::MaxClients, Instant::now());
            admit::refuse(job.stream, Refused::MaxClients.reply());
        }
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
