//! One control connection, start to end, inside one worker thread.
//!
//! `session` runs the command loop; `prelogin` is all an unauthenticated
//! client can reach (it holds no jail); `handlers` serve logged-in sessions;
//! `data` opens data connections and `transfer` moves bytes in a helper thread.

pub mod ascii;
pub mod command;
pub mod control;
pub mod data;
pub mod error;
pub mod format;
pub mod handlers;
pub mod prelogin;
pub mod reply;
pub mod session;
pub mod transfer;

use crate::auth::system::AccountCache;
use crate::auth::users::UserFile;
use crate::config::Config;
use crate::jail::Roots;
use crate::log::file::LogFile;
use crate::server::lifecycle::Lifecycle;
use crate::tls::Tls;
use std::net::SocketAddr;
use std::sync::Arc;

/// What every session of a server shares.
pub struct Shared {
    pub config: Arc<Config>,
    pub users: UserFile,
    /// ftp_username, guest_username and chown_username, looked up once in a while.
    pub accounts: AccountCache,
    pub xferlog: Option<LogFile>,
    /// Outlives config reloads: the session registry and the draining flag.
    pub lifecycle: Arc<Lifecycle>,
    /// Root directory fds shared between sessions with the same root.
    pub roots: Roots,
    /// The certificate and TLS settings, when ssl_enable or implicit_ssl is on.
    pub tls: Option<Tls>,
}

impl Shared {
    /// Opens the xferlog file the config names (the error names the key);
    /// `tls` is what [`crate::server::preflight`] loaded.
    pub fn new(config: Arc<Config>, lifecycle: Arc<Lifecycle>, tls: Option<Tls>) -> Result<Shared, String> {
        let xferlog = match config.xferlog_enable {
            true => Some(LogFile::open(&config.xferlog_file).map_err(|e| format!("xferlog_file: {e}"))?),
            false => None,
        };
        let users = UserFile::new(&config.user_file);
        Ok(Shared {
            config,
            users,
            accounts: AccountCache::default(),
            xferlog,
            lifecycle,
            roots: Roots::default(),
            tls,
        })
    }
}

/// The fixed facts of one session, handed to every handler.
pub struct Env<'a> {
    pub config: &'a Config,
    pub shared: &'a Shared,
    /// The client, IPv4-mapped addresses made plain IPv4.
    pub peer: SocketAddr,
    /// Our end of the control connection, likewise canonical.
    pub local: SocketAddr,
    pub sid: u64,
}

pub use session::serve;
