//! What every session of one configuration shares ([`Server`]): the config,
//! the users file, the account cache, xferlog, root directory fds and TLS.
//! A reload makes a new one; running sessions keep theirs.

use super::sessions::Registry;
use crate::auth::system::AccountCache;
use crate::auth::users::UserFile;
use crate::config::Config;
use crate::jail::Roots;
use crate::log::file::LogFile;
use crate::sys::net;
use crate::tls::Tls;
use std::io;
use std::net::TcpListener;
use std::sync::Arc;

/// The listen(2) backlog of the control sockets rftpd binds itself.
const BACKLOG: i32 = 512;

pub struct Server {
    pub(crate) config: Arc<Config>,
    pub(crate) users: UserFile,
    /// ftp_username, guest_username and chown_username, looked up once in a while.
    pub(crate) accounts: AccountCache,
    pub(crate) xferlog: Option<LogFile>,
    /// Outlives config reloads: the session registry and the draining flag.
    pub(crate) registry: Arc<Registry>,
    /// Root directory fds shared between sessions with the same root.
    pub(crate) roots: Roots,
    /// The certificate and TLS settings, when ssl_enable or implicit_ssl is on.
    pub(crate) tls: Option<Tls>,
}

impl Server {
    /// Opens the xferlog file the config names (the error names the key);
    /// `tls` is what [`preflight`] loaded.
    pub fn new(config: Arc<Config>, registry: Arc<Registry>, tls: Option<Tls>) -> Result<Server, String> {
        let xferlog = match config.xferlog_enable {
            true => Some(LogFile::open(&config.xferlog_file).map_err(|e| format!("xferlog_file: {e}"))?),
            false => None,
        };
        let users = UserFile::new(&config.user_file);
        Ok(Server { config, users, accounts: AccountCache::default(), xferlog, registry, roots: Roots::default(), tls })
    }
}

/// Everything `--check-config` checks beyond the key syntax: the users file
/// parses, the anonymous root exists, the certificate loads. Returns the
/// loaded TLS set-up, for [`Server::new`].
pub fn preflight(config: &Config) -> Result<Option<Tls>, String> {
    if !config.user_file.is_empty() && std::path::Path::new(&config.user_file).exists() {
        crate::auth::users::load(&config.user_file).map_err(|e| e.0)?;
    }
    if config.anonymous_enable && !std::path::Path::new(&config.anon_root).is_dir() {
        return Err(format!("anon_root: {} is not a directory", config.anon_root));
    }
    Tls::load(config)
}

/// Binds every configured control address.
pub fn bind_all(config: &Config) -> io::Result<Vec<TcpListener>> {
    crate::daemon::listen::bind_each(&config.listen_address, config.listen_port, "", |a| net::listen(a, BACKLOG))
}
