//! The request socket(s) and the pool of transfer workers.

use super::config::TftpConfig;
use super::options::{self, Limits};
use super::packet::{self, ErrorCode, Mode, Packet, Request};
use super::transfer::{self, Failure, Params, Peer};
use crate::jail::{Jail, VirtualPath};
use crate::limits::THREAD_STACK;
use crate::log::file::LogFile;
use crate::server::signals;
use crate::sys::net;
use crossbeam_channel::{Receiver, TrySendError, bounded};
use log::{error, info, warn};
use nix::poll::{PollFd, PollFlags};
use std::io::{self, Read};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Binds the request sockets (one dual-stack `[::]` when no address is given).
pub fn bind_all(config: &TftpConfig) -> io::Result<Vec<UdpSocket>> {
    crate::server::listen::bind_each(&config.listen_address, config.listen_port, "udp ", net::udp_bind)
}

/// One request on its way to a worker.
struct Job {
    request: Request,
    peer: SocketAddr,
    /// The local address family the request came in on.
    v6: bool,
}

/// What every worker shares.
struct Context {
    config: Arc<TftpConfig>,
    jail: Jail,
    /// Transfers running now (for the SIGTERM drain and the inetd idle exit).
    active: AtomicUsize,
}

/// In inetd mode, exit once no request came for this long and nothing runs
/// (in.tftpd's `-t` does the same); inetd starts a new process for the next.
const INETD_IDLE_EXIT: Duration = Duration::from_secs(30);

/// Receives requests until SIGTERM/SIGINT.
pub fn run(config: Arc<TftpConfig>, sockets: Vec<UdpSocket>, log: Option<LogFile>, inetd: bool) -> io::Result<()> {
    let jail = Jail::open(Path::new(&config.tftp_root))
        .map_err(|e| io::Error::new(e.kind(), format!("tftp_root {}: {e}", config.tftp_root)))?;
    let ctx = Arc::new(Context { config: config.clone(), jail, active: AtomicUsize::new(0) });
    let (events, mut wake) = signals::start()?;
    for s in &sockets {
        info!("listening on udp {}", s.local_addr()?);
    }
    crate::server::notify::notify("READY=1\nSTATUS=Accepting requests");
    let (jobs_tx, jobs_rx) = bounded::<Job>(0);
    let mut spawned = 0usize;
    let mut buf = vec![0u8; 65_536];
    loop {
        let mut fds: Vec<PollFd<'_>> = sockets.iter().map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN)).collect();
        fds.push(PollFd::new(wake.as_fd(), PollFlags::POLLIN));
        let n = net::poll(&mut fds, inetd.then_some(INETD_IDLE_EXIT))?;
        let ready: Vec<bool> = fds.iter().map(net::is_ready).collect();
        drop(fds);
        if n == 0 && ctx.active.load(Ordering::SeqCst) == 0 {
            info!("idle for {}s: exiting (inetd mode)", INETD_IDLE_EXIT.as_secs());
            return Ok(());
        }
        if ready[sockets.len()] {
            let _ = wake.read(&mut [0u8; 64]);
            for event in events.try_iter() {
                match event {
                    signals::Event::Shutdown => {
                        drop(sockets);
                        return drain(&ctx, &events, &mut wake);
                    }
                    signals::Event::Reload | signals::Event::ReopenLogs => {
                        if let Some(Err(e)) = log.as_ref().map(LogFile::reopen) {
                            error!("cannot reopen the log file: {e}");
                        }
                    }
                }
            }
        }
        for (sock, _) in sockets.iter().zip(&ready).filter(|(_, r)| **r) {
            let (n, peer) = match sock.recv_from(&mut buf) {
                Ok(r) => r,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => continue,
                Err(e) => {
                    warn!("recv failed: {e}");
                    continue;
                }
            };
            let request = match packet::parse(&buf[..n]) {
                Ok(Packet::Request(r)) => r,
                Ok(_) => {
                    let _ = sock.send_to(&packet::error(ErrorCode::IllegalOperation, "expected RRQ or WRQ"), peer);
                    continue;
                }
                Err(e) => {
                    info!("client={} malformed request: {}", peer.ip().to_canonical(), e.message());
                    let _ = sock.send_to(&packet::error(ErrorCode::IllegalOperation, &e.message()), peer);
                    continue;
                }
            };
            let job = Job { request, peer, v6: sock.local_addr().is_ok_and(|a| a.is_ipv6()) };
            let job = match jobs_tx.try_send(job) {
                Ok(()) => continue,
                Err(TrySendError::Full(j) | TrySendError::Disconnected(j)) => j,
            };
            if spawned >= config.max_transfers {
                info!("client={} refused: max_transfers reached", peer.ip().to_canonical());
                let _ = sock.send_to(&packet::error(ErrorCode::NotDefined, "server busy"), peer);
                continue;
            }
            let (rx, ctx) = (jobs_rx.clone(), ctx.clone());
            let name = format!("tftp-{spawned}");
            match std::thread::Builder::new().name(name).stack_size(THREAD_STACK).spawn(move || worker(job, &ctx, &rx))
            {
                Ok(_) => spawned += 1,
                Err(e) => error!("cannot start a worker thread: {e}"),
            }
        }
    }
}

/// SIGTERM: no new requests; running transfers get up to shutdown_grace
/// seconds; a second signal ends it at once.
fn drain(ctx: &Context, events: &Receiver<signals::Event>, wake: &mut UnixStream) -> io::Result<()> {
    crate::server::notify::notify("STOPPING=1");
    let grace = ctx.config.shutdown_grace;
    info!(
        "shutting down: {} transfer(s) running, waiting up to {}s",
        ctx.active.load(Ordering::SeqCst),
        grace.as_secs()
    );
    signals::wait_drained(events, wake, grace, "transfer(s)", || ctx.active.load(Ordering::SeqCst))?;
    info!("stopped");
    Ok(())
}

fn worker(first: Job, ctx: &Context, jobs: &Receiver<Job>) {
    let mut job = first;
    loop {
        ctx.active.fetch_add(1, Ordering::SeqCst);
        serve(ctx, &job);
        ctx.active.fetch_sub(1, Ordering::SeqCst);
        match jobs.recv() {
            Ok(j) => job = j,
            Err(_) => return,
        }
    }
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
    let limits = Limits {
        max_blksize: cfg.max_blksize,
        max_windowsize: cfg.max_windowsize,
        timeout: cfg.timeout,
        max_upload: cfg.max_upload,
    };
    let req = &job.request;
    let mut shown = (options::DEFAULT_BLKSIZE, 1u16);
    let result = if req.write {
        write(ctx, &sock, job, &limits, &mut shown)
    } else {
        read(ctx, &sock, job, &limits, &mut shown)
    };
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
        req.filename.replace(['\r', '\n'], "?"),
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

fn jailed(sock: &UdpSocket, to: SocketAddr, e: io::Error) -> Failure {
    let _ = sock.send_to(&packet::error(error_code(&e), &e.to_string()), to);
    Failure::Local(e)
}

fn params(ctx: &Context, n: &options::Negotiated) -> Params {
    Params {
        blksize: n.blksize,
        timeout: n.timeout,
        windowsize: n.windowsize,
        retries: ctx.config.retries,
        max_upload: ctx.config.max_upload,
    }
}

fn read(ctx: &Context, sock: &UdpSocket, job: &Job, limits: &Limits, shown: &mut (usize, u16)) -> Result<u64, Failure> {
    let path = VirtualPath::root().resolve(&job.request.filename).map_err(|e| jailed(sock, job.peer, e))?;
    let file = ctx.jail.open_read(&path).map_err(|e| jailed(sock, job.peer, e))?;
    let size = file.metadata().map_err(|e| jailed(sock, job.peer, e))?.len();
    let n =
        options::negotiate(&job.request, Some(size), limits).map_err(|(code, m)| refuse(sock, job.peer, code, &m))?;
    *shown = (n.blksize, n.windowsize);
    let params = params(ctx, &n);
    let mut peer = Peer::new(sock, job.peer, n.blksize);
    if !n.accepted.is_empty() {
        peer.oack_handshake(&packet::oack(&n.accepted), &params)?;
    }
    match job.request.mode {
        Mode::Octet => transfer::send(&mut peer, &mut io::BufReader::with_capacity(n.blksize.max(8192), file), &params),
        Mode::Netascii => transfer::send(&mut peer, &mut super::netascii::Encoder::new(file), &params),
    }
}

fn write(
    ctx: &Context,
    sock: &UdpSocket,
    job: &Job,
    limits: &Limits,
    shown: &mut (usize, u16),
) -> Result<u64, Failure> {
    let cfg = &ctx.config;
    if !cfg.write_enable {
        return Err(refuse(sock, job.peer, ErrorCode::AccessViolation, "writing is disabled"));
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
    let mut upload = ctx.jail.create_upload(&path, 0o644).map_err(|e| jailed(sock, job.peer, e))?;
    let first = if n.accepted.is_empty() { packet::ack(0).to_vec() } else { packet::oack(&n.accepted) };
    let mut peer = Peer::new(sock, job.peer, n.blksize);
    let params = params(ctx, &n);
    let received = match job.request.mode {
        Mode::Octet => transfer::receive(&mut peer, &first, &mut transfer::write_sink(upload.file()), &params)?,
        Mode::Netascii => {
            let mut decoder = super::netascii::decoder();
            let mut out = Vec::new();
            let file = upload.file();
            let mut sink = |data: &[u8]| {
                out.clear();
                decoder.convert(data, &mut out);
                io::Write::write_all(file, &out)
            };
            let received = transfer::receive(&mut peer, &first, &mut sink, &params)?;
            let mut tail = Vec::new();
            decoder.finish(&mut tail);
            io::Write::write_all(upload.file(), &tail).map_err(|e| jailed(sock, job.peer, e))?;
            received
        }
    };
    // In place before the final ACK: a client that saw it can rely on the file.
    upload.commit().map_err(|e| jailed(sock, job.peer, e))?;
    transfer::finish_upload(&mut peer, received, &params)?;
    Ok(received.bytes)
}
