//! What lives across config reloads: the registry of running sessions, the
//! draining flag, and the per-address failure and rate records. On shutdown
//! the master shuts down the read side of every control connection; each
//! session then finishes its transfer and says `421 Server shutting down.`
//! itself, so only the session writes its socket.

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct Registry {
    /// Bans and connection rates: they outlive reloads too.
    pub(crate) abuse: crate::daemon::admission::Abuse,
    /// Passive ports held per client address (max_pasv_per_ip).
    pub(crate) pasv_ports: crate::daemon::admission::PerIp,
    draining: AtomicBool,
    sessions: Mutex<HashMap<u64, Arc<TcpStream>>>,
}

/// A session's entry in the registry, removed on drop.
pub(crate) struct Registration {
    sid: u64,
    registry: Arc<Registry>,
}

impl Registry {
    pub(crate) fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Adds a session; `None` if the server is already draining.
    pub(crate) fn register(self: &Arc<Self>, sid: u64, control: &Arc<TcpStream>) -> Option<Registration> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if self.draining() {
            return None;
        }
        sessions.insert(sid, control.clone());
        Some(Registration { sid, registry: self.clone() })
    }

    /// Starts draining: every session's next read sees end of input.
    pub(crate) fn drain(&self) {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        self.draining.store(true, Ordering::SeqCst);
        for stream in sessions.values() {
            let _ = stream.shutdown(Shutdown::Read);
        }
    }

    pub(crate) fn active(&self) -> usize {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.sessions.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.sid);
    }
}
