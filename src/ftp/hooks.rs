//! `upload_hook`: a program run after each completed upload (Pure-FTPd's
//! pure-uploadscript is the model). Sessions hand a job to a bounded queue
//! and go on; `upload_hook_max` runner threads, started with the daemon
//! after it gave up its privileges, run the program as the daemon's own
//! identity (not the session's account), with the upload described in its
//! environment, its output in the server log, and at most
//! [`HOOK_TIME_LIMIT`] to finish before it is killed.

use crate::metrics::FTP;
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use log::{info, warn};
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a hook may run before it is killed.
pub(crate) const HOOK_TIME_LIMIT: Duration = Duration::from_secs(60);

/// Jobs waiting for a runner; beyond it new uploads' hooks are skipped (logged).
const QUEUE: usize = 256;

/// One completed upload.
#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) program: String,
    pub(crate) session: u64,
    pub(crate) user: String,
    pub(crate) client: std::net::IpAddr,
    /// The path as the client sees it.
    pub(crate) path: String,
    /// Where it is on the host.
    pub(crate) file: String,
    pub(crate) size: u64,
}

static QUEUE_TX: OnceLock<Sender<Upload>> = OnceLock::new();

/// Starts `runners` threads (call once, after privileges were given up).
pub(crate) fn start(runners: usize) -> std::io::Result<()> {
    let (tx, rx) = bounded::<Upload>(QUEUE);
    for i in 0..runners.max(1) {
        let rx: Receiver<Upload> = rx.clone();
        std::thread::Builder::new().name(format!("hook{i}")).spawn(move || {
            for job in rx {
                run(&job);
            }
        })?;
    }
    let _ = QUEUE_TX.set(tx);
    Ok(())
}

/// Queues the hook for `upload`; never waits.
pub(crate) fn uploaded(upload: Upload) {
    let Some(tx) = QUEUE_TX.get() else { return };
    match tx.try_send(upload) {
        Ok(()) => {}
        Err(TrySendError::Full(u) | TrySendError::Disconnected(u)) => {
            warn!("session={} upload_hook skipped for {}: {QUEUE} hooks already waiting", u.session, u.path);
            FTP.upload_hooks[2].inc();
        }
    }
}

fn run(job: &Upload) {
    let spawned = Command::new(&job.program)
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .env("RFTPD_USER", &job.user)
        .env("RFTPD_CLIENT", job.client.to_string())
        .env("RFTPD_PATH", &job.path)
        .env("RFTPD_FILE", &job.file)
        .env("RFTPD_SIZE", job.size.to_string())
        .env("RFTPD_SESSION", job.session.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            warn!("session={} upload_hook {} failed to start: {e}", job.session, job.program);
            FTP.upload_hooks[1].inc();
            return;
        }
    };
    // Output is read on threads of their own so a chatty hook never blocks on a full pipe.
    let readers: Vec<_> = [
        child.stdout.take().map(|o| Box::new(o) as Box<dyn Read + Send>),
        child.stderr.take().map(|e| Box::new(e) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut r| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = r.by_ref().take(64 * 1024).read_to_end(&mut out);
            out
        })
    })
    .collect();
    let deadline = Instant::now() + HOOK_TIME_LIMIT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    for r in readers {
        let out = r.join().unwrap_or_default();
        for line in String::from_utf8_lossy(&out).lines().filter(|l| !l.trim().is_empty()) {
            info!("session={} upload_hook: {line}", job.session);
        }
    }
    match status {
        Some(s) if s.success() => {
            info!("session={} upload_hook done for {}", job.session, job.path);
            FTP.upload_hooks[0].inc();
        }
        Some(s) => {
            warn!("session={} upload_hook failed for {}: {s}", job.session, job.path);
            FTP.upload_hooks[1].inc();
        }
        None => {
            warn!("session={} upload_hook killed after {}s for {}", job.session, HOOK_TIME_LIMIT.as_secs(), job.path);
            FTP.upload_hooks[1].inc();
        }
    }
}
