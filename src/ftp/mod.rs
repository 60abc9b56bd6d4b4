//! FTP: one control connection, start to end, inside one worker thread.
//!
//! ```text
//!  master (daemon core + master.rs) ──► session.rs: read → parse → dispatch
//!                                          ├─ prelogin/  (no jail, no account)
//!                                          └─ postlogin/ (LoggedIn: jail, identity)
//!                                                ├─ data.rs    data connections
//!                                                └─ helper.rs  transfer helper thread
//! ```
//! `state` is the leaf both phases share; `command`, `reply`, `error`,
//! `format` and `control` serve both and depend on no phase.

pub mod admin_socket;
pub(crate) mod admit;
pub mod command;
pub mod control;
pub(crate) mod data;
pub(crate) mod error;
pub(crate) mod format;
pub(crate) mod helper;
pub(crate) mod hooks;
pub mod inetd;
pub(crate) mod master;
pub(crate) mod memory;
pub(crate) mod postlogin;
pub mod preflight;
pub(crate) mod prelogin;
pub(crate) mod reply;
pub(crate) mod server;
pub(crate) mod session;
pub mod sessions;
pub(crate) mod state;

use crate::config::Source;
use crate::log::file::LogFile;
use std::io;
use std::net::TcpListener;
use std::sync::Arc;

pub use inetd::serve_inetd;
pub use preflight::{Checked, check};
pub use server::{Server, bind_all};

/// Serves FTP on `listeners` until SIGTERM/SIGINT (then drains).
pub fn run(source: Source, server: Arc<Server>, listeners: Vec<TcpListener>, log: Option<LogFile>) -> io::Result<()> {
    let metrics_at = server.config.metrics_listen_address;
    if !server.config.control_socket.is_empty()
        && let Err(e) = admin_socket::start(&server.config.control_socket, server.registry.clone())
    {
        log::warn!("control_socket {}: {e} (rftpd who and kick will not work)", server.config.control_socket);
    }
    if !server.config.upload_hook.is_empty() {
        hooks::start(server.config.upload_hook_max)?;
    }
    let registry = server.registry.clone();
    let mut master = master::FtpMaster::new(source, server, log);
    if let Some(addr) = metrics_at {
        let counts = master.worker_counts();
        let probes = crate::metrics::Probes {
            workers: Box::new(move || (counts.busy(), counts.alive())),
            bans: Box::new(move || registry.abuse.banned_now(std::time::Instant::now())),
        };
        crate::metrics::serve(addr, crate::metrics::render_ftp, probes)?;
    }
    crate::daemon::run(&mut master, listeners)
}
