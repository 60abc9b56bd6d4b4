//! rtftpd's master and workers: plugs TFTP into the daemon core. The master
//! receives requests on the request socket(s) and hands each to a worker
//! (at most max_transfers), or answers ERROR 0 "server busy"; a worker
//! serves one transfer from a fresh socket (its TID).

use super::config::TftpConfig;
use super::options::{self, Ceilings};
use super::packet::{self, ErrorCode, Mode, Packet, PacketError, Request};
use super::window::{self, Failure, Params, Peer};
use crate::daemon::admission::{PerIp, Slot};
use crate::daemon::pool::Pool;
use crate::daemon::{Master, notify};
use crate::jail::{Jail, Replace, VirtualPath};
use crate::log::file::LogFile;
use crate::sys::net;
use log::{debug, error, info, warn};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Binds the request sockets (one dual-stack `[::]` when no address is given).
pub fn bind_all(config: &TftpConfig) -> io::Result<Vec<UdpSocket>> {
    crate::daemon::listen::bind_each(&config.listen_address, config.listen_port, "udp ", net::udp_bind)
}

/// One request on its way to a worker.
struct Job {
    request: Request,
    peer: SocketAddr,
    /// The local address family the request came in on.
    v6: bool,
    ctx: Arc<Context>,
    /// One of the client address's max_per_ip transfers, given back when the job ends.
    _slot: Slot,
}

/// What every worker shares.
struct Context {
    config: Arc<TftpConfig>,
    jail: Jail,
}

/// In inetd mode, exit once no request came for this long and nothing runs
/// (in.tftpd's `-t` does the same); inetd starts a new process for the next.
const INETD_IDLE_EXIT: Duration = Duration::from_secs(30);

/// Whether rtftpd serves sockets it bound (or systemd passed) for good, or
/// the one inetd passed until it has been idle a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    Daemon,
    Inetd,
}

struct TftpMaster {
    ctx: Arc<Context>,
    pool: Pool<Job>,
    log: Option<LogFile>,
    lifetime: Lifetime,
    buf: Vec<u8>,
    per_ip: PerIp,
}

/// Receives requests until SIGTERM/SIGINT (or, from inetd, until idle).
pub fn run(
    config: Arc<TftpConfig>,
    sockets: Vec<UdpSocket>,
    log: Option<LogFile>,
    lifetime: Lifetime,
) -> io::Result<()> {
    let jail = Jail::open(Path::new(&config.tftp_root))
        .map_err(|e| io::Error::new(e.kind(), format!("tftp_root {}: {e}", config.tftp_root)))?;
    let ctx = Arc::new(Context { config: config.clone(), jail });
    let serve = Arc::new(|job: Job| serve(&job.ctx, &job));
    let describe: fn(&Job) -> String = |job| {
        let verb = if job.request.write { "WRQ" } else { "RRQ" };
        format!("client={} {verb} {}", job.peer.ip().to_canonical(), printable(&job.request.filename))
    };
    let pool = Pool::new("tftp", config.max_transfers, serve, describe);
    if let Some(addr) = config.metrics_listen_address {
        let counts = pool.counts().clone();
        let probes =
            crate::metrics::Probes { workers: Box::new(move || (counts.busy(), counts.alive())), bans: Box::new(|| 0) };
        crate::metrics::serve(addr, crate::metrics::render_tftp, probes)?;
    }
    let mut master = TftpMaster { ctx, pool, log, lifetime, buf: vec![0u8; 65_536], per_ip: PerIp::default() };
    crate::daemon::run(&mut master, sockets)
}

impl Master for TftpMaster {
    const ACTIVE: (&'static str, &'static str) = ("transfer(s)", "running");
    type Listener = UdpSocket;

    fn started(&mut self, sockets: &[UdpSocket]) -> io::Result<()> {
        for s in sockets {
            info!("listening on udp {}", s.local_addr()?);
        }
        notify::notify("READY=1\nSTATUS=Accepting requests");
        Ok(())
    }

    fn ready(&mut self, sock: &UdpSocket) {
        let (n, peer) = match sock.recv_from(&mut self.buf) {
            Ok(r) => r,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => return,
            Err(e) => {
                warn!("recv failed: {e}");
                return;
            }
        };
        let request = match packet::parse(&self.buf[..n]) {
            Ok(Packet::Request(r)) => r,
            // Anything but a request on the request port (an ERROR above all:
            // see packet::is_error) is dropped unanswered, as tftpd-hpa does.
            Ok(_) | Err(PacketError::TooShort | PacketError::BadOpcode(_)) => {
                debug!("client={} dropped a datagram that is not a request", peer.ip().to_canonical());
                return;
            }
            Err(e) => {
                info!("client={} malformed request: {}", peer.ip().to_canonical(), e.message());
                let _ = sock.send_to(&packet::error(ErrorCode::IllegalOperation, &e.message()), peer);
                return;
            }
        };
        let client = peer.ip().to_canonical();
        let Some(slot) = self.per_ip.acquire(client, self.ctx.config.max_per_ip) else {
            info!("client={client} refused: max_per_ip reached");
            crate::metrics::TFTP.refusals[1].inc();
            let _ = sock.send_to(&packet::error(ErrorCode::NotDefined, "too many transfers from your address"), peer);
            return;
        };
        let v6 = sock.local_addr().is_ok_and(|a| a.is_ipv6());
        let job = Job { request, peer, v6, ctx: self.ctx.clone(), _slot: slot };
        if self.pool.try_hand_over(job).is_err() {
            info!("client={} refused: max_transfers reached", peer.ip().to_canonical());
            crate::metrics::TFTP.refusals[0].inc();
            let _ = sock.send_to(&packet::error(ErrorCode::NotDefined, "server busy"), peer);
        }
    }

    /// rtftpd reads its config once; SIGHUP reopens the log.
    fn reload(&mut self) {
        self.reopen_logs();
    }

    fn reopen_logs(&mut self) {
        if let Some(Err(e)) = self.log.as_ref().map(LogFile::reopen) {
            error!("cannot reopen the log file: {e}");
        }
    }

    fn idle_after(&self) -> Option<Duration> {
        (self.lifetime == Lifetime::Inetd).then_some(INETD_IDLE_EXIT)
    }

    fn idle(&mut self) -> bool {
        let idle = self.pool.counts().busy() == 0;
        if idle {
            info!("idle for {}s: exiting (inetd mode)", INETD_IDLE_EXIT.as_secs());
        }
        idle
    }

    /// Running transfers get up to shutdown_grace.
    fn begin_drain(&mut self) -> Duration {
        self.ctx.config.shutdown_grace
    }

    fn active(&self) -> usize {
        self.pool.counts().busy()
    }
}

/// A file name as the log shows it: no line breaks.
fn printable(name: &str) -> String {
    name.replace(['\r', '\n'], "?")
}

/// Serves one request from a fresh socket and logs one line about it.
fn serve(ctx: &Context, job: &Job) {
    let started = Instant::now();
    let local: SocketAddr = if job.v6 { (Ipv6Addr::UNSPECIFIED, 0).into() } else { (Ipv4Addr::UNSPECIFIED, 0).into() };
    let sock = match UdpSocket::bind(local) {
        Ok(s) => s,
        Err(e) => {
            error!("cannot open a transfer socket: {e}");
            return;
        }
    };
    let cfg = &ctx.config;
    let limits = Ceilings {
        max_blksize: cfg.max_blksize,
        max_windowsize: cfg.max_windowsize,
        timeout: cfg.timeout,
        max_timeout: cfg.max_timeout,
        max_upload: cfg.max_upload,
    };
    let req = &job.request;
    let mut shown = (options::DEFAULT_BLKSIZE, 1u16);
    let result = if req.write {
        write(ctx, &sock, job, &limits, &mut shown)
    } else {
        read(ctx, &sock, job, &limits, &mut shown)
    };
    let m = &crate::metrics::TFTP;
    let ok = result.is_ok();
    m.transfers[usize::from(req.write)][usize::from(!ok)].inc();
    if let Ok(n) = &result {
        if req.write { &m.bytes_received } else { &m.bytes_sent }.add(*n);
    }
    let (bytes, outcome) = match &result {
        Ok(n) => (*n, "ok".to_string()),
        Err(Failure::Timeout) => (0, "timeout".into()),
        Err(Failure::Peer(code, msg)) => (0, format!("client-error {code} ({msg})")),
        Err(Failure::Local(e)) => (0, format!("local-error ({e})")),
        Err(Failure::Network(e)) => (0, format!("network-error ({e})")),
        Err(Failure::Protocol(m)) => (0, format!("protocol-error ({m})")),
        Err(Failure::TooLarge) => (0, "too-large".into()),
    };
    info!(
        "client={} {} {} mode={} bytes={bytes} blksize={} windowsize={} ms={} result={outcome}",
        job.peer.ip().to_canonical(),
        if req.write { "WRQ" } else { "RRQ" },
        printable(&req.filename),
        if req.mode == Mode::Octet { "octet" } else { "netascii" },
        shown.0,
        shown.1,
        started.elapsed().as_millis()
    );
}

fn refuse(sock: &UdpSocket, to: SocketAddr, code: ErrorCode, message: &str) -> Failure {
    let _ = sock.send_to(&packet::error(code, message), to);
    Failure::Protocol(message.to_owned())
}

/// ERROR code for a jail error.
fn error_code(e: &io::Error) -> ErrorCode {
    match e.kind() {
        io::ErrorKind::NotFound => ErrorCode::FileNotFound,
        io::ErrorKind::AlreadyExists => ErrorCode::FileExists,
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => ErrorCode::DiskFull,
        _ => ErrorCode::AccessViolation,
    }
}

/// The client gets the RFC's text for the code; the log gets the OS's words.
fn jailed(sock: &UdpSocket, to: SocketAddr, e: io::Error) -> Failure {
    let code = error_code(&e);
    let _ = sock.send_to(&packet::error(code, code.text()), to);
    Failure::Local(e)
}

/// Longest file name component and path the kernel takes (NAME_MAX,
/// PATH_MAX): a longer name cannot exist, so it is refused before any ACK.
const NAME_MAX: usize = 255;
const PATH_MAX: usize = 4095;

fn name_fits(name: &str) -> bool {
    name.len() <= PATH_MAX && name.split('/').all(|c| c.len() <= NAME_MAX)
}

fn params(ctx: &Context, n: &options::Negotiated) -> Params {
    Params {
        blksize: n.blksize,
        timeout: n.timeout,
        windowsize: n.windowsize,
        retries: ctx.config.retries,
        first_timeout: ctx.config.timeout,
        max_upload: ctx.config.max_upload,
    }
}

fn read(
    ctx: &Context,
    sock: &UdpSocket,
    job: &Job,
    limits: &Ceilings,
    shown: &mut (usize, u16),
) -> Result<u64, Failure> {
    let path = VirtualPath::root().resolve(&job.request.filename).map_err(|e| jailed(sock, job.peer, e))?;
    let file = ctx.jail.open_read(&path).map_err(|e| jailed(sock, job.peer, e))?;
    let meta = file.metadata().map_err(|e| jailed(sock, job.peer, e))?;
    if ctx.config.world_readable_only && meta.permissions().mode() & 0o004 == 0 {
        let e = io::Error::new(io::ErrorKind::PermissionDenied, "not world-readable (world_readable_only=YES)");
        return Err(jailed(sock, job.peer, e));
    }
    let size = meta.len();
    let n =
        options::negotiate(&job.request, Some(size), limits).map_err(|(code, m)| refuse(sock, job.peer, code, &m))?;
    *shown = (n.blksize, n.windowsize);
    let params = params(ctx, &n);
    let mut peer = Peer::new(sock, job.peer, n.blksize);
    if !n.accepted.is_empty() {
        peer.oack_handshake(&packet::oack(&n.accepted), &params)?;
    }
    // A window's worth of file per read (up to 1 MiB), not a read per block.
    let read_size = (n.blksize * usize::from(n.windowsize)).clamp(8192, 1 << 20);
    match job.request.mode {
        Mode::Octet => window::send(&mut peer, &mut io::BufReader::with_capacity(read_size, file), &params),
        Mode::Netascii => window::send(&mut peer, &mut super::netascii::Encoder::new(file), &params),
    }
}

fn write(
    ctx: &Context,
    sock: &UdpSocket,
    job: &Job,
    limits: &Ceilings,
    shown: &mut (usize, u16),
) -> Result<u64, Failure> {
    let cfg = &ctx.config;
    if !cfg.write_enable {
        return Err(refuse(sock, job.peer, ErrorCode::AccessViolation, "writing is disabled"));
    }
    if !name_fits(&job.request.filename) {
        return Err(refuse(sock, job.peer, ErrorCode::NotDefined, "File name too long"));
    }
    let path = VirtualPath::root().resolve(&job.request.filename).map_err(|e| jailed(sock, job.peer, e))?;
    let exists = ctx.jail.lstat(&path).is_ok();
    if exists && !cfg.overwrite_enable {
        return Err(refuse(sock, job.peer, ErrorCode::FileExists, "file exists and overwriting is disabled"));
    }
    if !exists && !cfg.create_enable {
        return Err(refuse(sock, job.peer, ErrorCode::AccessViolation, "creating files is disabled"));
    }
    let n = options::negotiate(&job.request, None, limits).map_err(|(code, m)| refuse(sock, job.peer, code, &m))?;
    *shown = (n.blksize, n.windowsize);
    // Written under a temporary name and renamed into place only when complete.
    let replace = if cfg.overwrite_enable { Replace::Allowed } else { Replace::Never };
    let mut upload = ctx.jail.create_upload(&path, 0o644, replace).map_err(|e| jailed(sock, job.peer, e))?;
    let first = if n.accepted.is_empty() { packet::ack(0).to_vec() } else { packet::oack(&n.accepted) };
    let mut peer = Peer::new(sock, job.peer, n.blksize);
    let params = params(ctx, &n);
    let received = match job.request.mode {
        Mode::Octet => window::receive(&mut peer, &first, &mut window::write_sink(upload.file()), &params)?,
        Mode::Netascii => {
            let mut decoder = crate::ascii::FromNetwork::netascii();
            let mut out = Vec::new();
            let file = upload.file();
            let mut sink = |data: &[u8]| {
                out.clear();
                decoder.convert(data, &mut out);
                io::Write::write_all(file, &out)
            };
            let received = window::receive(&mut peer, &first, &mut sink, &params)?;
            let mut tail = Vec::new();
            decoder.finish(&mut tail);
            io::Write::write_all(upload.file(), &tail).map_err(|e| jailed(sock, job.peer, e))?;
            received
        }
    };
    // In place before the final ACK: a client that saw it can rely on the file.
    upload.commit().map_err(|e| jailed(sock, job.peer, e))?;
    window::finish_upload(&mut peer, received, &params)?;
    Ok(received.bytes)
}
