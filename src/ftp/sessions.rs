//! What lives across config reloads: the registry of running sessions (with
//! what each is doing, for `rftpd who`), the draining flag, and the
//! per-address failure and rate records. On shutdown (or `rftpd kick`) the
//! read side of a control connection is shut down; the session then
//! finishes its transfer and says `421` itself, so only the session writes
//! its socket.

use std::collections::HashMap;
use std::net::{IpAddr, Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

#[derive(Debug, Default)]
pub struct Registry {
    /// Bans and connection rates: they outlive reloads too.
    pub(crate) abuse: crate::daemon::admission::Abuse,
    /// Passive ports held per client address (max_pasv_per_ip).
    pub(crate) pasv_ports: crate::daemon::admission::PerIp,
    /// Sessions per client address (max_per_ip).
    pub(crate) per_ip: crate::daemon::admission::PerIp,
    /// Connections not logged in, per address and in all (max_prelogin*).
    pub(crate) prelogin_per_ip: crate::daemon::admission::PerIp,
    pub(crate) prelogin_all: crate::daemon::admission::PerIp,
    /// Refusal lines, rate-limited.
    pub(crate) refusals: RefusalLogLock,
    draining: AtomicBool,
    sessions: Mutex<Sessions>,
}

/// The refusal log behind a lock (the master and proxied workers write it).
#[derive(Debug, Default)]
pub(crate) struct RefusalLogLock(Mutex<super::admit::RefusalLog>);

impl RefusalLogLock {
    pub(crate) fn log(&self, sid: u64, ip: IpAddr, why: super::admit::Refused, now: Instant) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).log(sid, ip, why, now);
    }
}

/// Each session's control connection (to shut its read side) and its view.
type Sessions = HashMap<u64, (Arc<TcpStream>, Arc<Seen>)>;

/// What one session is doing, as `rftpd who` shows it. The session writes
/// it; the control socket reads it.
#[derive(Debug)]
pub(crate) struct Seen {
    pub(crate) client: IpAddr,
    connected: SystemTime,
    kicked: AtomicBool,
    state: Mutex<SeenState>,
}

#[derive(Debug)]
struct SeenState {
    user: Option<String>,
    login: Option<SystemTime>,
    last_command: Instant,
    command: String,
    transfer: Option<TransferView>,
}

#[derive(Debug)]
struct TransferView {
    path: String,
    size: Option<u64>,
    started: Instant,
    progress: Arc<AtomicU64>,
}

impl Seen {
    pub(crate) fn new(client: IpAddr) -> Seen {
        Seen {
            client,
            connected: SystemTime::now(),
            kicked: AtomicBool::new(false),
            state: Mutex::new(SeenState {
                user: None,
                login: None,
                last_command: Instant::now(),
                command: String::new(),
                transfer: None,
            }),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut SeenState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn logged_in(&self, user: &str) {
        self.with(|s| (s.user, s.login) = (Some(user.to_owned()), Some(SystemTime::now())));
    }

    pub(crate) fn logged_out(&self) {
        self.with(|s| (s.user, s.login) = (None, None));
    }

    /// A command arrived (its text as logs show it: PASS never carries the password).
    pub(crate) fn command(&self, text: &str) {
        self.with(|s| {
            s.last_command = Instant::now();
            s.command.clear();
            s.command.push_str(text);
        });
    }

    pub(crate) fn transfer_started(&self, path: &str, size: Option<u64>, progress: Arc<AtomicU64>) {
        self.with(|s| {
            s.transfer = Some(TransferView { path: path.to_owned(), size, started: Instant::now(), progress })
        });
    }

    pub(crate) fn transfer_ended(&self) {
        self.with(|s| s.transfer = None);
    }

    pub(crate) fn kicked(&self) -> bool {
        self.kicked.load(Ordering::SeqCst)
    }
}

/// A session's entry in the registry, removed on drop.
pub(crate) struct Registration {
    sid: u64,
    registry: Arc<Registry>,
}

/// One line of `rftpd who`.
#[derive(Debug)]
pub(crate) struct SessionRow {
    pub(crate) id: u64,
    pub(crate) user: String,
    pub(crate) client: IpAddr,
    pub(crate) since: SystemTime,
    pub(crate) idle_secs: u64,
    pub(crate) command: String,
    /// (file, bytes so far, size, bytes per second)
    pub(crate) transfer: Option<(String, u64, Option<u64>, u64)>,
}

impl Registry {
    pub(crate) fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a session; `None` if the server is already draining.
    pub(crate) fn register(
        self: &Arc<Self>,
        sid: u64,
        control: &Arc<TcpStream>,
        seen: &Arc<Seen>,
    ) -> Option<Registration> {
        let mut sessions = self.sessions();
        if self.draining() {
            return None;
        }
        sessions.insert(sid, (control.clone(), seen.clone()));
        Some(Registration { sid, registry: self.clone() })
    }

    /// Starts draining: every session's next read sees end of input.
    pub(crate) fn drain(&self) {
        let sessions = self.sessions();
        self.draining.store(true, Ordering::SeqCst);
        for (stream, _) in sessions.values() {
            let _ = stream.shutdown(Shutdown::Read);
        }
    }

    /// Ends session `sid` (its next read sees end of input; it says 421).
    pub(crate) fn kick(&self, sid: u64) -> bool {
        let sessions = self.sessions();
        let Some((stream, seen)) = sessions.get(&sid) else { return false };
        seen.kicked.store(true, Ordering::SeqCst);
        let _ = stream.shutdown(Shutdown::Read);
        true
    }

    pub(crate) fn active(&self) -> usize {
        self.sessions().len()
    }

    /// Every session, by id.
    pub(crate) fn who(&self) -> Vec<SessionRow> {
        let now = Instant::now();
        let mut rows: Vec<SessionRow> = self
            .sessions()
            .iter()
            .map(|(id, (_, seen))| {
                seen.with(|s| SessionRow {
                    id: *id,
                    user: s.user.clone().unwrap_or_else(|| "-".into()),
                    client: seen.client,
                    since: s.login.unwrap_or(seen.connected),
                    idle_secs: now.duration_since(s.last_command).as_secs(),
                    command: s.command.clone(),
                    transfer: s.transfer.as_ref().map(|t| {
                        let bytes = t.progress.load(Ordering::Relaxed);
                        let secs = now.duration_since(t.started).as_secs_f64().max(0.001);
                        (t.path.clone(), bytes, t.size, (bytes as f64 / secs) as u64)
                    }),
                })
            })
            .collect();
        rows.sort_by_key(|r| r.id);
        rows
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.sessions().remove(&self.sid);
    }
}
