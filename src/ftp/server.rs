//! What every session of one configuration shares ([`Server`]): the config,
//! the users file, the account cache, xferlog, root directory fds and TLS.
//! A reload makes a new one; running sessions keep theirs.

use super::preflight::Prepared;
use super::sessions::Registry;
use crate::auth::lists::Lists;
use crate::auth::system::AccountCache;
use crate::auth::users::UserFile;
use crate::config::Config;
use crate::config::parse::Values;
use crate::jail::Roots;
use crate::log::file::LogFile;
use crate::log::{LineSink, syslog::Syslog};
use crate::sys::net;
use crate::sys::utmp::Record;
use crate::tls::Tls;
use std::io;
use std::net::TcpListener;
use std::sync::Arc;

/// The listen(2) backlog of the control sockets rftpd binds itself.
const BACKLOG: i32 = 512;

pub struct Server {
    pub config: Arc<Config>,
    /// The values the config came from: per-user files (user_config_dir) start from them.
    pub(crate) values: Values,
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
    /// vsftpd's own transfer log (xferlog_std_format=NO or dual_log_enable).
    pub(crate) vsftpd_log: Option<LineSink>,
    /// pasv_address as PASV announces it.
    pub(crate) pasv_ip: Option<std::net::Ipv4Addr>,
    pub(crate) lists: Lists,
    /// banner_file's lines, the 220 greeting.
    pub(crate) banner: Option<Vec<String>>,
    /// session_support: wtmp_file, opened while the daemon may write it.
    pub(crate) wtmp: Option<LogFile>,
}

impl Server {
    /// Opens the transfer logs the config names (the error names the key);
    /// `prepared` is what [`super::preflight::prepare`] loaded.
    pub fn new(config: Config, values: Values, registry: Arc<Registry>, prepared: Prepared) -> io::Result<Server> {
        let open = |on: bool, key: &str, path: &str| -> io::Result<Option<LogFile>> {
            if !on {
                return Ok(None);
            }
            LogFile::open(path).map(Some).map_err(|e| io::Error::new(e.kind(), format!("{key} {path}: {e}")))
        };
        let xferlog = open(config.writes_xferlog(), "xferlog_file", &config.xferlog_file)?;
        let vsftpd_log = match (config.writes_vsftpd_log(), config.syslog_enable) {
            (false, _) => None,
            (true, true) => Some(LineSink::Syslog(Syslog::new("rftpd"))),
            (true, false) => open(true, "vsftpd_log_file", &config.vsftpd_log_file)?.map(LineSink::File),
        };
        let Prepared { tls, pasv_ip, lists, banner } = prepared;
        let wtmp = open(config.session_support, "wtmp_file", &config.wtmp_file)?;
        Ok(Server {
            users: UserFile::new(&config.user_file),
            config: Arc::new(config),
            values,
            accounts: AccountCache::default(),
            xferlog,
            registry,
            roots: Roots::default(),
            tls,
            vsftpd_log,
            pasv_ip,
            lists,
            banner,
            wtmp,
        })
    }
}

impl Server {
    /// Reopens the server log and the transfer logs (after logrotate moved them).
    pub(crate) fn reopen_logs(&self, server_log: Option<&LogFile>) {
        let logs = server_log.into_iter().chain(self.xferlog.iter());
        let reopened = logs.map(LogFile::reopen).chain(self.vsftpd_log.iter().map(LineSink::reopen));
        for result in reopened {
            if let Err(e) = result {
                log::error!("cannot reopen a log file: {e}");
            }
        }
        log::info!("log files reopened");
    }

    /// session_support: a login or logout record in wtmp for session `sid`.
    pub(crate) fn wtmp(&self, kind: Record, sid: u64, user: &str, client: std::net::IpAddr) {
        if let Some(wtmp) = &self.wtmp {
            let record =
                crate::sys::utmp::wtmp_record(kind, &format!("ftp{sid}"), user, client, crate::sys::time::now());
            if let Err(e) = wtmp.append(&record) {
                log::warn!("session={sid} cannot write wtmp_file: {e}");
            }
        }
    }

    /// Writes a line of vsftpd's log, if it is on (xferlog_std_format=NO or dual_log_enable).
    pub(crate) fn vsftpd_log(&self, line: crate::log::vsftpd::Line<'_>) {
        if let Some(sink) = &self.vsftpd_log
            && let Err(e) = sink.write_line(&crate::log::vsftpd::format(&line))
        {
            log::warn!("cannot write vsftpd_log_file: {e}");
        }
    }
}

/// Binds every configured control address.
pub fn bind_all(config: &Config) -> io::Result<Vec<TcpListener>> {
    crate::daemon::listen::bind_each(&listen_addresses(config), config.listen_port, "", |a| net::listen(a, BACKLOG))
}

/// Where the control port listens: listen_address when given; else
/// vsftpd's switches: listen_ipv6=YES listen_address6 or dual-stack [::],
/// listen=YES IPv4 only; neither, one dual-stack [::] socket (empty list).
pub(crate) fn listen_addresses(config: &Config) -> Vec<std::net::IpAddr> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    match (config.listen_address.is_empty(), config.listen_ipv6, config.listen) {
        (false, _, _) => config.listen_address.clone(),
        (true, true, _) => vec![config.listen_address6.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED))],
        (true, false, true) => vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)],
        (true, false, false) => Vec::new(),
    }
}
