//! The validated, immutable configuration a session runs with (shared as
//! `Arc<Config>`, so a later reload never changes a running session's rules).

pub mod error;
pub mod keys;
pub mod parse;
pub mod patterns;

pub use error::ConfigError;
use keys::FTP_KEYS;
use parse::Values;
pub use patterns::NamePatterns;
use std::net::IpAddr;
use std::time::Duration;

/// Where the config comes from: a file (or none) plus `-o` overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    pub file: Option<String>,
    pub overrides: Vec<String>,
}

/// Typed config; field names are the key names (`config.pasv_min_port` ↔ `pasv_min_port=`).
#[derive(Debug, Clone)]
pub struct Config {
    pub listen_address: Vec<IpAddr>,
    pub listen_port: u16,
    pub ftpd_banner: String,
    pub max_clients: usize,
    pub max_per_ip: usize,
    pub nopriv_user: String,
    pub anonymous_enable: bool,
    pub anon_root: String,
    pub user_file: String,
    pub guest_username: String,
    pub ftp_username: String,
    pub local_enable: bool,
    pub chroot_local_user: bool,
    pub check_shell: bool,
    pub pam_service_name: String,
    pub ftpusers_file: String,
    pub delay_failed_login: Duration,
    pub max_login_fails: u32,
    pub login_timeout: Duration,
    pub ban_after: u32,
    pub ban_seconds: Duration,
    pub max_connect_rate: u32,
    pub deny_file: NamePatterns,
    pub hide_file: NamePatterns,
    pub anon_max_rate: u64,
    pub local_max_rate: u64,
    pub download_enable: bool,
    pub anon_world_readable_only: bool,
    pub write_enable: bool,
    pub anon_upload_enable: bool,
    pub anon_mkdir_write_enable: bool,
    pub anon_other_write_enable: bool,
    pub chown_uploads: bool,
    pub chown_username: String,
    pub chown_upload_mode: u32,
    pub local_umask: u32,
    pub anon_umask: u32,
    pub file_open_mode: u32,
    pub ssl_enable: bool,
    pub implicit_ssl: bool,
    pub rsa_cert_file: String,
    pub rsa_private_key_file: String,
    pub ssl_tlsv1_2: bool,
    pub ssl_tlsv1_3: bool,
    pub force_local_logins_ssl: bool,
    pub force_local_data_ssl: bool,
    pub force_anon_logins_ssl: bool,
    pub force_anon_data_ssl: bool,
    pub require_ssl_reuse: bool,
    pub pasv_enable: bool,
    pub pasv_min_port: u16,
    pub pasv_max_port: u16,
    pub pasv_address: Option<IpAddr>,
    pub pasv_promiscuous: bool,
    pub port_enable: bool,
    pub port_promiscuous: bool,
    pub connect_from_port_20: bool,
    pub accept_timeout: Duration,
    pub connect_timeout: Duration,
    pub data_connection_timeout: Duration,
    pub idle_session_timeout: Duration,
    pub shutdown_grace: Duration,
    pub hide_ids: bool,
    pub use_localtime: bool,
    pub log_file: String,
    pub log_level: log::LevelFilter,
    pub log_ftp_protocol: bool,
    pub xferlog_enable: bool,
    pub xferlog_file: String,
}

/// Reads a config file (if any) and the `-o` overrides against a key table:
/// the part rftpd and rtftpd share.
pub fn load_values(keys: &'static [keys::Key], source: &Source) -> Result<Values, ConfigError> {
    let mut values = Values::defaults(keys);
    if let Some(path) = &source.file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(path, None, None, format!("cannot read: {e}")))?;
        values.apply_text(keys, path, &text)?;
    }
    for arg in &source.overrides {
        values.apply_override(keys, arg)?;
    }
    Ok(values)
}

/// The `log_level` key as a filter.
pub fn log_level(v: &Values) -> Result<log::LevelFilter, String> {
    let text = v.text("log_level");
    text.parse().map_err(|_| format!("'{text}' is not one of off, error, warn, info, debug, trace"))
}

pub fn secs(v: &Values, name: &str) -> Duration {
    Duration::from_secs(v.number(name))
}

impl Config {
    /// Every key at its default.
    pub fn defaults() -> Config {
        Config::from_values(&Values::defaults(FTP_KEYS)).expect("defaults are consistent")
    }

    /// Reads the file (if any), applies the overrides, checks cross-key rules.
    pub fn load(source: &Source) -> Result<Config, ConfigError> {
        let values = load_values(FTP_KEYS, source)?;
        Config::from_values(&values)
            .map_err(|(key, msg)| ConfigError::new(source.file.as_deref().unwrap_or("-o"), None, Some(key), msg))
    }

    fn from_values(v: &Values) -> Result<Config, (&'static str, String)> {
        let c = Config {
            listen_address: v.addresses("listen_address").to_vec(),
            listen_port: v.number("listen_port") as u16,
            ftpd_banner: v.text("ftpd_banner").to_owned(),
            max_clients: v.number("max_clients") as usize,
            max_per_ip: v.number("max_per_ip") as usize,
            nopriv_user: v.text("nopriv_user").to_owned(),
            anonymous_enable: v.bool("anonymous_enable"),
            anon_root: v.text("anon_root").to_owned(),
            user_file: v.text("user_file").to_owned(),
            guest_username: v.text("guest_username").to_owned(),
            ftp_username: v.text("ftp_username").to_owned(),
            local_enable: v.bool("local_enable"),
            chroot_local_user: v.bool("chroot_local_user"),
            check_shell: v.bool("check_shell"),
            pam_service_name: v.text("pam_service_name").to_owned(),
            ftpusers_file: v.text("ftpusers_file").to_owned(),
            delay_failed_login: secs(v, "delay_failed_login"),
            max_login_fails: v.number("max_login_fails") as u32,
            login_timeout: secs(v, "login_timeout"),
            ban_after: v.number("ban_after") as u32,
            ban_seconds: secs(v, "ban_seconds"),
            max_connect_rate: v.number("max_connect_rate") as u32,
            deny_file: NamePatterns::parse(v.text("deny_file")).map_err(|m| ("deny_file", m))?,
            hide_file: NamePatterns::parse(v.text("hide_file")).map_err(|m| ("hide_file", m))?,
            anon_max_rate: v.number("anon_max_rate"),
            local_max_rate: v.number("local_max_rate"),
            download_enable: v.bool("download_enable"),
            anon_world_readable_only: v.bool("anon_world_readable_only"),
            write_enable: v.bool("write_enable"),
            anon_upload_enable: v.bool("anon_upload_enable"),
            anon_mkdir_write_enable: v.bool("anon_mkdir_write_enable"),
            anon_other_write_enable: v.bool("anon_other_write_enable"),
            chown_uploads: v.bool("chown_uploads"),
            chown_username: v.text("chown_username").to_owned(),
            chown_upload_mode: v.number("chown_upload_mode") as u32,
            local_umask: v.number("local_umask") as u32,
            anon_umask: v.number("anon_umask") as u32,
            file_open_mode: v.number("file_open_mode") as u32,
            ssl_enable: v.bool("ssl_enable"),
            implicit_ssl: v.bool("implicit_ssl"),
            rsa_cert_file: v.text("rsa_cert_file").to_owned(),
            rsa_private_key_file: v.text("rsa_private_key_file").to_owned(),
            ssl_tlsv1_2: v.bool("ssl_tlsv1_2"),
            ssl_tlsv1_3: v.bool("ssl_tlsv1_3"),
            force_local_logins_ssl: v.bool("force_local_logins_ssl"),
            force_local_data_ssl: v.bool("force_local_data_ssl"),
            force_anon_logins_ssl: v.bool("force_anon_logins_ssl"),
            force_anon_data_ssl: v.bool("force_anon_data_ssl"),
            require_ssl_reuse: v.bool("require_ssl_reuse"),
            pasv_enable: v.bool("pasv_enable"),
            pasv_min_port: v.number("pasv_min_port") as u16,
            pasv_max_port: v.number("pasv_max_port") as u16,
            pasv_address: v.address("pasv_address"),
            pasv_promiscuous: v.bool("pasv_promiscuous"),
            port_enable: v.bool("port_enable"),
            port_promiscuous: v.bool("port_promiscuous"),
            connect_from_port_20: v.bool("connect_from_port_20"),
            accept_timeout: secs(v, "accept_timeout"),
            connect_timeout: secs(v, "connect_timeout"),
            data_connection_timeout: secs(v, "data_connection_timeout"),
            idle_session_timeout: secs(v, "idle_session_timeout"),
            shutdown_grace: secs(v, "shutdown_grace"),
            hide_ids: v.bool("hide_ids"),
            use_localtime: v.bool("use_localtime"),
            log_file: v.text("log_file").to_owned(),
            log_level: log_level(v).map_err(|m| ("log_level", m))?,
            log_ftp_protocol: v.bool("log_ftp_protocol"),
            xferlog_enable: v.bool("xferlog_enable"),
            xferlog_file: v.text("xferlog_file").to_owned(),
        };
        c.check_rules()?;
        Ok(c)
    }

    /// Rules that involve more than one key.
    fn check_rules(&self) -> Result<(), (&'static str, String)> {
        if (self.pasv_min_port == 0) != (self.pasv_max_port == 0) {
            return Err(("pasv_max_port", "set both pasv_min_port and pasv_max_port, or neither".into()));
        }
        if self.pasv_min_port > self.pasv_max_port {
            return Err((
                "pasv_min_port",
                format!("{} is above pasv_max_port ({})", self.pasv_min_port, self.pasv_max_port),
            ));
        }
        if let Some(IpAddr::V6(_)) = self.pasv_address {
            return Err(("pasv_address", "PASV can only announce an IPv4 address".into()));
        }
        if self.anonymous_enable && self.anon_root.is_empty() {
            return Err(("anon_root", "must be set when anonymous_enable=YES".into()));
        }
        if self.tls_on() && !(self.ssl_tlsv1_2 || self.ssl_tlsv1_3) {
            return Err(("ssl_tlsv1_3", "TLS needs ssl_tlsv1_2 or ssl_tlsv1_3 set to YES".into()));
        }
        if self.tls_on() && self.rsa_cert_file.is_empty() {
            return Err(("rsa_cert_file", "must be set when ssl_enable or implicit_ssl is YES".into()));
        }
        if self.xferlog_enable && self.xferlog_file.is_empty() {
            return Err(("xferlog_file", "must be set when xferlog_enable=YES".into()));
        }
        Ok(())
    }

    /// Whether TLS is offered at all (explicit or implicit).
    pub fn tls_on(&self) -> bool {
        self.ssl_enable || self.implicit_ssl
    }

    /// Whether passive ports are confined to a range.
    pub fn pasv_range(&self) -> Option<(u16, u16)> {
        (self.pasv_min_port != 0).then_some((self.pasv_min_port, self.pasv_max_port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(overrides: &[&str]) -> Result<Config, ConfigError> {
        Config::load(&Source { file: None, overrides: overrides.iter().map(|s| s.to_string()).collect() })
    }

    #[test]
    fn defaults_are_safe() {
        let c = Config::defaults();
        assert!(!c.anonymous_enable && !c.write_enable && !c.anon_upload_enable);
        assert!(!c.pasv_promiscuous && !c.port_promiscuous);
        assert!(c.max_per_ip > 0);
    }

    #[test]
    fn pasv_range_rules() {
        assert!(load(&["pasv_min_port=5000"]).is_err());
        let e = load(&["pasv_min_port=6000", "pasv_max_port=5000"]).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("pasv_min_port"));
        assert_eq!(load(&["pasv_min_port=5000", "pasv_max_port=5010"]).unwrap().pasv_range(), Some((5000, 5010)));
        assert!(load(&["pasv_address=::1"]).is_err());
    }
}
