//! rftpd's configuration: every key written once, as a row of
//! [`config_table!`] that makes the [`Config`] field, the [`FTP_KEYS`]
//! table row and the conversion; then the rules that involve more than
//! one key.

use super::error::ConfigErrors;
use super::keys::{Kind, PORT, SECONDS, num};
use super::parse::Values;
use super::table::{at, config_table};
use super::{NamePatterns, Source, load_values};
use std::net::IpAddr;
use std::time::Duration;

config_table! {
    /// Typed config; field names are the key names (`config.pasv_min_port` ↔ `pasv_min_port=`).
    pub(crate) struct Config, keys FTP_KEYS {
        listen_address: Vec<IpAddr> = Kind::AddressList, "", "Addresses to listen on, comma-separated IPv4/IPv6; empty = all (one dual-stack [::] socket).";
        listen_port: u16 = PORT, "21", "Control connection port (0 = any free port, logged at start-up).";
        ftpd_banner: String = Kind::Text, "rftpd ready.", "Text of the 220 greeting.";
        max_clients: usize = num(1, 100_000), "2000", "Most sessions at once (worker threads); beyond it new connections get 421.";
        max_per_ip: usize = num(0, 100_000), "50", "Most sessions from one client address (0 = no limit); beyond it 421.";
        nopriv_user: String = Kind::Text, "", "When started as root: after binding, become this user for good, keeping only the capabilities per-session accounts need; empty = stay root with those capabilities only.";
        anonymous_enable: bool = Kind::Bool, "NO", "Allow logins as 'anonymous' or 'ftp' with any password.";
        anon_root: String = Kind::Path, "/srv/ftp", "Root directory of anonymous sessions.";
        user_file: String = Kind::Path, "/etc/rftpd/rftpd.users", "Virtual users file (name:crypt-hash:home:perms, perms e.g. ro, rw, rw,-delete); empty = no virtual users.";
        guest_username: String = Kind::Text, "ftp", "When started as root: the account whose permissions virtual users read and write files with; empty = the server's own.";
        ftp_username: String = Kind::Text, "ftp", "When started as root: the account whose permissions anonymous users read and write files with; empty = the server's own.";
        local_enable: bool = Kind::Bool, "NO", "Allow logins by system accounts (/etc/passwd, /etc/shadow), each session running with its account's permissions; needs root.";
        chroot_local_user: bool = Kind::Bool, "YES", "Jail system accounts in their home directory; NO = they see the whole file system, starting in their home.";
        check_shell: bool = Kind::Bool, "YES", "System accounts need a login shell listed in /etc/shells.";
        pam_service_name: String = Kind::Text, "rftpd", "PAM service (/etc/pam.d/NAME) checking system accounts when rftpd is built with the pam feature; else /etc/shadow is read.";
        ftpusers_file: String = Kind::Path, "/etc/ftpusers", "System accounts listed in this file (one name per line) may not log in; empty = no such list.";
        delay_failed_login: Duration = SECONDS, "1", "Seconds to wait before answering a failed login with 530.";
        max_login_fails: u32 = num(0, 1000), "3", "Failed logins after which the session is closed (0 = never).";
        login_timeout: Duration = num(1, 3600), "60", "Seconds from connecting to a successful login (TLS handshake included); then 421 and close.";
        ban_after: u32 = num(0, 1000), "10", "Failed logins from one address, across its sessions, after which it is banned (0 = never).";
        ban_seconds: Duration = num(1, 604_800), "600", "How long a ban lasts; banned addresses get 421 at connect.";
        max_connect_rate: u32 = num(0, 100_000), "0", "Most new connections per minute from one address (0 = no limit); beyond it 421.";
        deny_file: NamePatterns = Kind::Text, "", "Names no command may touch, e.g. {*.key,.git}: globs (* ?) matched against every path component.";
        hide_file: NamePatterns = Kind::Text, "", "Names left out of listings (same syntax as deny_file); still reachable by name.";
        anon_max_rate: u64 = num(0, u64::MAX >> 1), "0", "Bytes per second per anonymous transfer (0 = no limit).";
        local_max_rate: u64 = num(0, u64::MAX >> 1), "0", "Bytes per second per transfer of other users (0 = no limit).";
        download_enable: bool = Kind::Bool, "YES", "Allow downloads (RETR) at all; NO makes an upload-only server.";
        anon_world_readable_only: bool = Kind::Bool, "YES", "Anonymous users may download only files everyone may read (so uploads made with anon_umask=077 stay unreadable to them).";
        write_enable: bool = Kind::Bool, "NO", "Allow any command that changes the file system (each user also needs the permission for it).";
        anon_upload_enable: bool = Kind::Bool, "NO", "With write_enable, let anonymous users upload files.";
        anon_mkdir_write_enable: bool = Kind::Bool, "NO", "With write_enable, let anonymous users create directories.";
        anon_other_write_enable: bool = Kind::Bool, "NO", "With write_enable, let anonymous users delete and rename.";
        chown_uploads: bool = Kind::Bool, "NO", "Give files anonymous users upload to chown_username, with chown_upload_mode (needs root).";
        chown_username: String = Kind::Text, "root", "The owner of anonymous uploads when chown_uploads=YES.";
        chown_upload_mode: u32 = Kind::Octal, "0600", "The mode of anonymous uploads when chown_uploads=YES.";
        local_umask: u32 = Kind::Octal, "077", "Umask applied to files and directories virtual and system users create.";
        anon_umask: u32 = Kind::Octal, "077", "Umask applied to files and directories anonymous users create.";
        file_open_mode: u32 = Kind::Octal, "0666", "Mode of uploaded files before the umask.";
        ssl_enable: bool = Kind::Bool, "NO", "Offer explicit FTPS: AUTH TLS on the control connection, PBSZ, PROT P.";
        implicit_ssl: bool = Kind::Bool, "NO", "Implicit FTPS: every connection speaks TLS from its first byte (use with listen_port=990).";
        rsa_cert_file: String = Kind::Path, "/etc/rftpd/rftpd.pem", "PEM certificate chain for TLS (the private key may be in the same file).";
        rsa_private_key_file: String = Kind::Path, "", "PEM private key; empty = read it from rsa_cert_file.";
        ssl_tlsv1_2: bool = Kind::Bool, "YES", "Allow TLS 1.2.";
        ssl_tlsv1_3: bool = Kind::Bool, "YES", "Allow TLS 1.3.";
        force_local_logins_ssl: bool = Kind::Bool, "YES", "With ssl_enable, non-anonymous users must AUTH TLS before USER (else 530).";
        force_local_data_ssl: bool = Kind::Bool, "YES", "With ssl_enable, non-anonymous users must use PROT P for data (else 522).";
        force_anon_logins_ssl: bool = Kind::Bool, "NO", "With ssl_enable, anonymous users must AUTH TLS before USER.";
        force_anon_data_ssl: bool = Kind::Bool, "NO", "With ssl_enable, anonymous users must use PROT P for data.";
        require_ssl_reuse: bool = Kind::Bool, "YES", "PROT P data connections must resume this control connection's TLS session (else 522).";
        pasv_enable: bool = Kind::Bool, "YES", "Allow passive data connections (PASV, EPSV).";
        pasv_min_port: u16 = PORT, "0", "Lowest port offered for passive data connections (0 = any).";
        pasv_max_port: u16 = PORT, "0", "Highest port offered for passive data connections (0 = any).";
        pasv_address: Option<IpAddr> = Kind::Address, "", "IPv4 address announced in PASV replies (for NAT); empty = the control connection's local address.";
        pasv_promiscuous: bool = Kind::Bool, "NO", "Accept passive data connections from any address (disables theft protection).";
        port_enable: bool = Kind::Bool, "YES", "Allow active data connections (PORT, EPRT).";
        port_promiscuous: bool = Kind::Bool, "NO", "Allow PORT/EPRT to any address and port (disables bounce protection).";
        connect_from_port_20: bool = Kind::Bool, "NO", "Make active data connections from port 20 (needs CAP_NET_BIND_SERVICE; falls back to any port).";
        accept_timeout: Duration = num(1, 3600), "60", "Seconds to wait for the client to open a passive data connection.";
        connect_timeout: Duration = num(1, 3600), "60", "Seconds to wait for an active data connection to be accepted by the client.";
        data_connection_timeout: Duration = num(1, 86_400), "300", "Seconds a data connection may stall before the transfer fails.";
        shutdown_grace: Duration = num(0, 86_400), "30", "Seconds SIGTERM waits for running transfers before rftpd exits.";
        idle_session_timeout: Duration = num(1, 86_400), "300", "Seconds without a command before the session is closed with 421.";
        hide_ids: bool = Kind::Bool, "NO", "Show every owner and group as 'ftp' in listings.";
        use_localtime: bool = Kind::Bool, "NO", "Show local time instead of UTC in LIST (MDTM and MLSx are always UTC).";
        log_file: String = Kind::Path, "/var/log/rftpd.log", "Server log file; empty = standard error (also with -f or under systemd).";
        log_level: log::LevelFilter = Kind::Text, "info", "Server log level: off, error, warn, info, debug or trace (RUST_LOG overrides).";
        log_ftp_protocol: bool = Kind::Bool, "NO", "Log every command and reply at debug level (passwords are never logged).";
        xferlog_enable: bool = Kind::Bool, "NO", "Write one wu-ftpd xferlog line per transfer.";
        xferlog_file: String = Kind::Path, "/var/log/xferlog", "Where xferlog lines go.";
    }
    accepted {
    }
}

impl Config {
    /// Every key at its default.
    #[cfg(test)]
    pub(crate) fn defaults() -> Config {
        Config::from_values(&Values::defaults(FTP_KEYS)).expect("defaults are consistent (tested)")
    }

    /// Reads the file (if any), applies the overrides, checks cross-key
    /// rules; every error found is reported.
    pub fn load(source: &Source) -> Result<Config, ConfigErrors> {
        Config::from_values(&load_values(FTP_KEYS, source)?)
    }

    /// The typed config from parsed values.
    pub(crate) fn from_values(v: &Values) -> Result<Config, ConfigErrors> {
        let c = Config::convert_all(v)?;
        c.check_rules(v)?;
        Ok(c)
    }

    /// Rules that involve more than one key; every broken one is reported.
    fn check_rules(&self, v: &Values) -> Result<(), ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let mut rule = |broken: bool, key: &'static str, message: String| {
            if broken {
                errors.push(at(v, key, message));
            }
        };
        rule(
            (self.pasv_min_port == 0) != (self.pasv_max_port == 0),
            "pasv_max_port",
            "set both pasv_min_port and pasv_max_port, or neither".into(),
        );
        rule(
            self.pasv_min_port > self.pasv_max_port,
            "pasv_min_port",
            format!("{} is above pasv_max_port ({})", self.pasv_min_port, self.pasv_max_port),
        );
        rule(
            matches!(self.pasv_address, Some(IpAddr::V6(_))),
            "pasv_address",
            "PASV can only announce an IPv4 address".into(),
        );
        rule(
            self.anonymous_enable && self.anon_root.is_empty(),
            "anon_root",
            "must be set when anonymous_enable=YES".into(),
        );
        rule(
            self.tls_on() && !(self.ssl_tlsv1_2 || self.ssl_tlsv1_3),
            "ssl_tlsv1_3",
            "TLS needs ssl_tlsv1_2 or ssl_tlsv1_3 set to YES".into(),
        );
        rule(
            self.tls_on() && self.rsa_cert_file.is_empty(),
            "rsa_cert_file",
            "must be set when ssl_enable or implicit_ssl is YES".into(),
        );
        rule(
            self.xferlog_enable && self.xferlog_file.is_empty(),
            "xferlog_file",
            "must be set when xferlog_enable=YES".into(),
        );
        errors.into_result()
    }

    /// Whether TLS is offered at all (explicit or implicit).
    pub(crate) fn tls_on(&self) -> bool {
        self.ssl_enable || self.implicit_ssl
    }

    /// Whether passive ports are confined to a range.
    pub(crate) fn pasv_range(&self) -> Option<(u16, u16)> {
        (self.pasv_min_port != 0).then_some((self.pasv_min_port, self.pasv_max_port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(overrides: &[&str]) -> Result<Config, ConfigErrors> {
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
        assert_eq!(e.0[0].key.as_deref(), Some("pasv_min_port"));
        assert_eq!(load(&["pasv_min_port=5000", "pasv_max_port=5010"]).unwrap().pasv_range(), Some((5000, 5010)));
        assert!(load(&["pasv_address=::1"]).is_err());
    }

    #[test]
    fn conversion_errors_name_the_line() {
        let dir = std::env::temp_dir().join(format!("rftpd-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("rftpd.conf");
        std::fs::write(&file, "log_level=loud\ndeny_file={*.mp3\n").unwrap();
        let source = Source { file: Some(file.display().to_string()), overrides: vec![] };
        let e = Config::load(&source).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(e.contains("rftpd.conf:1: log_level: 'loud' is not one of"), "{e}");
        assert!(e.contains("rftpd.conf:2: deny_file: "), "{e}");
    }
}
