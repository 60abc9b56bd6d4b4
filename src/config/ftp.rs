//! rftpd's configuration: every key written once, as a row of
//! [`config_table!`] that makes the [`Config`] field, the [`FTP_KEYS`]
//! table row and the conversion; then the rules that involve more than
//! one key.

use super::error::{ConfigError, ConfigErrors};
use super::keys::{Kind, PORT, SECONDS, num};
use super::parse::Values;
use super::table::{at, config_table};
use super::{NamePatterns, Source, read_values};
use std::net::IpAddr;
use std::time::Duration;

config_table! {
    /// Typed config; field names are the key names (`config.pasv_min_port` ↔ `pasv_min_port=`).
    pub(crate) struct Config, keys FTP_KEYS {
        listen_address: Vec<IpAddr> = Kind::AddressList, "", "Addresses to listen on, comma-separated IPv4/IPv6; empty = all (one dual-stack [::] socket).";
        listen_port: u16 = PORT, "21", "Control connection port (0 = any free port, logged at start-up).";
        listen: bool = Kind::Bool, "NO", "vsftpd's IPv4 listener: with no listen_address, YES listens on 0.0.0.0 only (IPv4).";
        listen_ipv6: bool = Kind::Bool, "NO", "vsftpd's IPv6 listener: with no listen_address, YES listens on listen_address6, or dual-stack [::] (IPv4 too).";
        listen_address6: Option<IpAddr> = Kind::Address, "", "With listen_ipv6=YES and no listen_address: the IPv6 address to listen on; empty = [::] (dual stack).";
        ftpd_banner: String = Kind::Text, "rftpd ready.", "Text of the 220 greeting.";
        banner_file: String = Kind::Path, "", "A file whose lines are the 220 greeting (multi-line), instead of ftpd_banner; empty = none.";
        max_clients: usize = num(1, 100_000), "2000", "Most sessions at once (worker threads); beyond it new connections get 421.";
        max_per_ip: usize = num(0, 100_000), "50", "Most sessions from one client address (0 = no limit); beyond it 421.";
        max_pasv_per_ip: usize = num(0, 100_000), "16", "Most passive ports one client address holds at once (0 = no limit), so a few addresses cannot take the whole pasv_min_port..pasv_max_port range.";
        max_listing_memory: usize = num(1, 1_000_000), "256", "MiB that directory listings waiting to be sent may hold together, all sessions counted; a listing beyond it gets 451.";
        max_prelogin: usize = num(0, 1_000_000), "500", "Most connections not yet logged in, from all addresses (0 = no limit); beyond it 421, so idle strangers cannot take every worker.";
        max_prelogin_per_ip: usize = num(0, 100_000), "10", "Most connections not yet logged in from one client address (0 = no limit); beyond it 421.";
        nopriv_user: String = Kind::Text, "", "When started as root: after binding, become this user for good, keeping only the capabilities per-session accounts need; empty = stay root with those capabilities only.";
        anonymous_enable: bool = Kind::Bool, "NO", "Allow logins as 'anonymous' or 'ftp' with any password.";
        anon_root: String = Kind::Path, "/srv/ftp", "Root directory of anonymous sessions.";
        no_anon_password: bool = Kind::Bool, "NO", "Anonymous logins are not asked for a password (USER anonymous is answered 230).";
        deny_email_enable: bool = Kind::Bool, "NO", "Refuse anonymous logins whose password (an e-mail address) is listed in banned_email_file.";
        banned_email_file: String = Kind::Path, "/etc/vsftpd.banned_emails", "One anonymous password per line that deny_email_enable refuses.";
        secure_email_list_enable: bool = Kind::Bool, "NO", "Accept only anonymous passwords listed in email_password_file.";
        email_password_file: String = Kind::Path, "/etc/vsftpd.email_passwords", "The anonymous passwords secure_email_list_enable accepts, one per line.";
        user_file: String = Kind::Path, "/etc/rftpd/rftpd.users", "Virtual users file (name:crypt-hash:home:perms, perms e.g. ro, rw, rw,-delete); empty = no virtual users.";
        guest_username: String = Kind::Text, "ftp", "When started as root: the account whose permissions virtual users read and write files with; empty = the server's own.";
        ftp_username: String = Kind::Text, "ftp", "When started as root: the account whose permissions anonymous users read and write files with; empty = the server's own.";
        guest_enable: bool = Kind::Bool, "NO", "vsftpd's virtual users: every non-anonymous login (system or PAM) runs as guest_username, rooted in its home or local_root.";
        virtual_use_local_privs: bool = Kind::Bool, "NO", "With guest_enable: guests get the permissions of local users (write_enable, local_umask) instead of anonymous ones (anon_*_enable, anon_umask).";
        userlist_enable: bool = Kind::Bool, "NO", "Check USER names against userlist_file before asking for a password.";
        userlist_deny: bool = Kind::Bool, "YES", "With userlist_enable: YES refuses the names listed (530 Permission denied.); NO lets only them in.";
        userlist_file: String = Kind::Path, "/etc/vsftpd.user_list", "Names for userlist_enable, one per line.";
        local_enable: bool = Kind::Bool, "NO", "Allow logins by system accounts (/etc/passwd, /etc/shadow), each session running with its account's permissions; needs root.";
        chroot_local_user: bool = Kind::Bool, "YES", "Jail system accounts in their home directory; NO = they see the whole file system, starting in their home.";
        chroot_list_enable: bool = Kind::Bool, "NO", "The system accounts listed in chroot_list_file are jailed in their home (or, with chroot_local_user=YES, are not).";
        chroot_list_file: String = Kind::Path, "/etc/vsftpd.chroot_list", "Names for chroot_list_enable, one per line.";
        passwd_chroot_enable: bool = Kind::Bool, "NO", "With chroot_local_user: a home of the form /base/./rest jails the account in /base and starts it in /rest.";
        local_root: String = Kind::Path, "", "Directory non-anonymous sessions start in (and are jailed in, where they are jailed) instead of the home; user_sub_token in it is the user name.";
        user_sub_token: String = Kind::Text, "", "Text in local_root replaced by the user's name (vsftpd: $USER), e.g. local_root=/srv/ftp/$USER.";
        user_config_dir: String = Kind::Path, "", "Directory of per-user config files named after the user: any key set there overrides this file for that user's sessions.";
        tilde_user_enable: bool = Kind::Bool, "NO", "Resolve ~name/... to name's home where it lies inside the session's root (~ alone is always the login directory).";
        check_shell: bool = Kind::Bool, "YES", "System accounts need a login shell listed in /etc/shells.";
        pam_service_name: String = Kind::Text, "rftpd", "PAM service (/etc/pam.d/NAME) checking system accounts when rftpd is built with the pam feature; else /etc/shadow is read.";
        ftpusers_file: String = Kind::Path, "/etc/ftpusers", "System accounts listed in this file (one name per line) may not log in; empty = no such list.";
        delay_failed_login: Duration = SECONDS, "1", "Seconds to wait before answering a failed login with 530.";
        delay_successful_login: Duration = SECONDS, "0", "Seconds to wait before answering a successful login.";
        max_login_fails: u32 = num(0, 1000), "3", "Failed logins after which the session is closed (0 = never).";
        login_timeout: Duration = num(1, 3600), "60", "Seconds from connecting to a successful login (TLS handshake included); then 421 and close.";
        ban_after: u32 = num(0, 1000), "10", "Failed logins from one address, across its sessions, after which it is banned (0 = never).";
        ban_seconds: Duration = num(1, 604_800), "600", "How long a ban lasts; banned addresses get 421 at connect.";
        max_connect_rate: u32 = num(0, 100_000), "120", "Most new connections per minute from one address (0 = no limit); beyond it 421.";
        session_support: bool = Kind::Bool, "NO", "Record logins and logouts in wtmp_file (as `last` shows them), like a login shell.";
        wtmp_file: String = Kind::Path, "/var/log/wtmp", "Where session_support records logins and logouts.";
        setproctitle_enable: bool = Kind::Bool, "NO", "Name each session's thread after its client and user (ps -L, top -H).";
        deny_file: NamePatterns = Kind::Text, "", "Names no command may touch, e.g. {*.key,.git}: globs (* ?) matched against every path component.";
        hide_file: NamePatterns = Kind::Text, "", "Names left out of listings (same syntax as deny_file); still reachable by name.";
        download_file: NamePatterns = Kind::Text, "", "If set, only names matching these globs may be downloaded (deny_file wins); same syntax as deny_file.";
        upload_file: NamePatterns = Kind::Text, "", "If set, only names matching these globs may be uploaded (deny_file wins); same syntax as deny_file.";
        cmds_allowed: String = Kind::Text, "", "If set, the only commands logged-in sessions may use, comma-separated (e.g. PASV,RETR,QUIT); others get 550 Permission denied.";
        cmds_denied: String = Kind::Text, "", "Commands logged-in sessions may not use, comma-separated; they get 550 Permission denied.";
        anon_max_rate: u64 = num(0, u64::MAX >> 1), "0", "Bytes per second per anonymous transfer (0 = no limit).";
        local_max_rate: u64 = num(0, u64::MAX >> 1), "0", "Bytes per second per transfer of other users (0 = no limit).";
        download_enable: bool = Kind::Bool, "YES", "Allow downloads (RETR) at all; NO makes an upload-only server.";
        dirlist_enable: bool = Kind::Bool, "YES", "Allow listings (LIST, NLST, MLSD, MLST, STAT with a path); NO answers 550.";
        force_dot_files: bool = Kind::Bool, "NO", "Show names starting with a dot in listings even without ls -a.";
        ls_recurse_enable: bool = Kind::Bool, "NO", "Allow LIST -R (recursive), bounded by the listing limit.";
        ascii_download_enable: bool = Kind::Bool, "YES", "Convert line ends (LF to CRLF) on TYPE A downloads; NO sends the bytes as they are, as vsftpd's default does.";
        ascii_upload_enable: bool = Kind::Bool, "YES", "Convert line ends (CRLF to LF) on TYPE A uploads; NO stores the bytes as they are, as vsftpd's default does.";
        use_sendfile: bool = Kind::Bool, "YES", "Send binary downloads with sendfile(2); NO copies them through a buffer.";
        anon_world_readable_only: bool = Kind::Bool, "YES", "Anonymous users may download only files everyone may read (so uploads made with anon_umask=077 stay unreadable to them).";
        write_enable: bool = Kind::Bool, "NO", "Allow any command that changes the file system (each user also needs the permission for it).";
        anon_upload_enable: bool = Kind::Bool, "NO", "With write_enable, let anonymous users upload files.";
        anon_mkdir_write_enable: bool = Kind::Bool, "NO", "With write_enable, let anonymous users create directories.";
        anon_other_write_enable: bool = Kind::Bool, "NO", "With write_enable, let anonymous users delete and rename.";
        chmod_enable: bool = Kind::Bool, "YES", "Allow SITE CHMOD (never for anonymous users).";
        mdtm_write: bool = Kind::Bool, "YES", "Allow MDTM with a time (MDTM YYYYMMDDHHMMSS name) to set a file's time, as MFMT does.";
        delete_failed_uploads: bool = Kind::Bool, "NO", "Remove a file written in place (APPE, STOR after REST, STOU) when its upload fails; STOR's temporary file is always removed.";
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
        allow_anon_ssl: bool = Kind::Bool, "NO", "With ssl_enable, anonymous users may use TLS; NO refuses USER anonymous over TLS (530), unless force_anon_logins_ssl.";
        ssl_ciphers: String = Kind::Text, "", "TLS cipher suites, colon-separated OpenSSL or IANA names (ECDHE-RSA-AES256-GCM-SHA384, TLS_AES_128_GCM_SHA256…); names rustls lacks are ignored; empty = rustls' safe defaults.";
        strict_ssl_read_eof: bool = Kind::Bool, "NO", "A TLS upload must end with the client's close_notify; without it the upload fails (truncation protection).";
        require_cert: bool = Kind::Bool, "NO", "Client certificates: not supported; YES is refused rather than ignored, since ignoring it would let password-only logins in.";
        pasv_enable: bool = Kind::Bool, "YES", "Allow passive data connections (PASV, EPSV).";
        pasv_min_port: u16 = PORT, "0", "Lowest port offered for passive data connections (0 = any).";
        pasv_max_port: u16 = PORT, "0", "Highest port offered for passive data connections (0 = any).";
        pasv_addr_resolve: bool = Kind::Bool, "NO", "pasv_address may be a host name, resolved at start and on SIGHUP.";
        pasv_address: String = Kind::Text, "", "IPv4 address announced in PASV replies (for NAT), or with pasv_addr_resolve a host name; empty = the control connection's local address.";
        pasv_promiscuous: bool = Kind::Bool, "NO", "Accept passive data connections from any address (disables theft protection).";
        port_enable: bool = Kind::Bool, "YES", "Allow active data connections (PORT, EPRT).";
        port_promiscuous: bool = Kind::Bool, "NO", "Allow PORT/EPRT to any address and port (disables bounce protection).";
        connect_from_port_20: bool = Kind::Bool, "NO", "Make active data connections from port 20 (needs CAP_NET_BIND_SERVICE; falls back to any port).";
        ftp_data_port: u16 = PORT, "20", "The source port of active data connections when connect_from_port_20=YES.";
        accept_timeout: Duration = num(1, 3600), "60", "Seconds to wait for the client to open a passive data connection.";
        connect_timeout: Duration = num(1, 3600), "60", "Seconds to wait for an active data connection to be accepted by the client.";
        data_connection_timeout: Duration = num(1, 86_400), "300", "Seconds a data connection may stall before the transfer fails.";
        shutdown_grace: Duration = num(0, 86_400), "30", "Seconds SIGTERM waits for running transfers before rftpd exits.";
        idle_session_timeout: Duration = num(1, 86_400), "300", "Seconds without a command before the session is closed with 421.";
        hide_ids: bool = Kind::Bool, "NO", "Show every owner and group as 'ftp' in listings.";
        use_localtime: bool = Kind::Bool, "NO", "Show local time instead of UTC in LIST (MDTM and MLSx are always UTC).";
        text_userdb_names: bool = Kind::Bool, "YES", "Show owner and group names in listings; NO shows the numbers (vsftpd's default).";
        dirmessage_enable: bool = Kind::Bool, "NO", "Show the message_file of a directory in the reply to the login or CWD that enters it (once per session).";
        message_file: String = Kind::Text, ".message", "The per-directory message file name for dirmessage_enable.";
        proxy_protocol_enable: bool = Kind::Bool, "NO", "Connections from proxy_protocol_from must start with a PROXY protocol header (v1 or v2, as HAProxy sends), which names the real client; its address then counts everywhere (logs, bans, max_per_ip, data connection checks).";
        proxy_protocol_from: crate::proxy::Networks = Kind::Text, "", "Balancers allowed to send a PROXY header: addresses and CIDR prefixes, comma-separated (e.g. 10.0.0.0/8, ::1). Others are served as direct clients.";
        control_socket: String = Kind::Path, "/run/rftpd/control.sock", "Unix socket (mode 0600) for rftpd who and rftpd kick; only root and the daemon's user may use it; empty = none. Read at start.";
        upload_hook: String = Kind::Path, "", "Program run after each completed upload, as the daemon's own user, with RFTPD_USER, RFTPD_CLIENT, RFTPD_PATH, RFTPD_FILE, RFTPD_SIZE and RFTPD_SESSION set; never delays the session; empty = none.";
        upload_hook_max: usize = num(1, 64), "4", "Most upload_hook programs running at once (read at start); more wait in a queue of 256, beyond it they are skipped and logged.";
        metrics_listen_address: Option<std::net::SocketAddr> = Kind::Text, "", "Address and port of the Prometheus endpoint (http://ADDRESS/metrics), e.g. 127.0.0.1:9121 or [::1]:9121; empty = off. Read at start only.";
        pid_file: String = Kind::Path, "", "File the daemon writes its process id to; empty = none. The logrotate script signals /run/rftpd.pid and /run/rtftpd.pid. Not used with --inetd.";
        log_file: String = Kind::Path, "/var/log/rftpd.log", "Server log file; empty = standard error (also with -f or under systemd).";
        log_format: crate::config::LogFormat = Kind::Text, "text", "Server log line format: text, or json (one JSON object per line with the same fields).";
        log_level: log::LevelFilter = Kind::Text, "info", "Server log level: off, error, warn, info, debug or trace (RUST_LOG overrides).";
        log_ftp_protocol: bool = Kind::Bool, "NO", "Log every command and reply at debug level (passwords are never logged).";
        xferlog_enable: bool = Kind::Bool, "NO", "Write one wu-ftpd xferlog line per transfer.";
        xferlog_file: String = Kind::Path, "/var/log/xferlog", "Where xferlog lines go.";
        xferlog_std_format: bool = Kind::Bool, "YES", "xferlog_enable writes the wu-ftpd format to xferlog_file; NO writes vsftpd's own transfer log to vsftpd_log_file instead.";
        dual_log_enable: bool = Kind::Bool, "NO", "With xferlog_enable: write both the wu-ftpd xferlog and vsftpd's transfer log.";
        vsftpd_log_file: String = Kind::Path, "/var/log/vsftpd.log", "Where vsftpd's own log format goes (xferlog_std_format=NO or dual_log_enable).";
        syslog_enable: bool = Kind::Bool, "NO", "Send the server log (and vsftpd's log) to syslog (/dev/log, facility ftp) instead of files.";
    }
    accepted {
        "async_abor_enable" = Kind::Bool, "NO", "ABOR is always read while a transfer runs, urgent data or not.";
        "background" = Kind::Bool, "NO", "rftpd stays in the foreground; systemd (or inetd) runs it.";
        "one_process_model" = Kind::Bool, "NO", "rftpd is one process with a thread per session; there are no process models to choose.";
        "secure_chroot_dir" = Kind::Path, "/usr/share/empty", "rftpd needs no empty directory: sessions are jailed by openat2, not chroot.";
        "allow_writeable_chroot" = Kind::Bool, "NO", "The openat2 jail has no writable-root problem: a session's root may be writable.";
        "isolate" = Kind::Bool, "YES", "Sessions are threads of one process; the kernel jail (openat2) and per-session credentials isolate them.";
        "isolate_network" = Kind::Bool, "YES", "Sessions are threads of one process; there are no per-session network namespaces.";
        "seccomp_sandbox" = Kind::Bool, "YES", "rftpd installs no seccomp filter; the systemd unit restricts system calls instead.";
        "ptrace_sandbox" = Kind::Bool, "NO", "rftpd has no ptrace sandbox; the systemd unit restricts system calls instead.";
        "run_as_launching_user" = Kind::Bool, "NO", "Started by an ordinary user, rftpd already runs as that user with no privileges.";
        "no_log_lock" = Kind::Bool, "NO", "Log lines are written with single appends; no file lock is taken.";
        "lock_upload_files" = Kind::Bool, "YES", "Uploads are written under a private temporary name and renamed into place, so readers never see a partial file.";
        "tcp_wrappers" = Kind::Bool, "NO", "rftpd does not read /etc/hosts.allow or hosts.deny; use a firewall, max_per_ip and ban_after (a warning is logged when YES).";
        "reverse_lookup_enable" = Kind::Bool, "YES", "rftpd never looks up client host names; logs show addresses.";
        "trans_chunk_size" = num(0, 1_048_576), "0", "rftpd chooses its chunk sizes; rate limits are kept to a tenth of a second.";
        "debug_ssl" = Kind::Bool, "NO", "TLS errors are in the server log; RUST_LOG=rustls=debug shows the handshakes.";
        "ssl_request_cert" = Kind::Bool, "YES", "rftpd never asks clients for certificates (see require_cert).";
        "validate_cert" = Kind::Bool, "NO", "rftpd never asks clients for certificates (see require_cert).";
        "ca_certs_file" = Kind::Path, "", "rftpd never asks clients for certificates (see require_cert).";
        "ssl_sslv2" = Kind::Bool, "NO", "SSLv2 is broken and not offered; rftpd speaks TLS 1.2 and 1.3 (ssl_tlsv1_2, ssl_tlsv1_3).";
        "ssl_sslv3" = Kind::Bool, "NO", "SSLv3 is broken and not offered; rftpd speaks TLS 1.2 and 1.3 (ssl_tlsv1_2, ssl_tlsv1_3).";
        "ssl_tlsv1" = Kind::Bool, "YES", "TLS 1.0 is not offered; rftpd speaks TLS 1.2 and 1.3 (ssl_tlsv1_2, ssl_tlsv1_3).";
        "ssl_tlsv1_1" = Kind::Bool, "NO", "TLS 1.1 is not offered; rftpd speaks TLS 1.2 and 1.3 (ssl_tlsv1_2, ssl_tlsv1_3).";
        "strict_ssl_write_shutdown" = Kind::Bool, "NO", "rftpd ends every TLS data connection with close_notify and does not wait for the client's.";
        "dsa_cert_file" = Kind::Path, "", "DSA certificates cannot be used with TLS 1.2 and 1.3 ciphers rftpd offers; use rsa_cert_file (RSA or ECDSA).";
        "dsa_private_key_file" = Kind::Path, "", "DSA certificates cannot be used with TLS 1.2 and 1.3 ciphers rftpd offers; use rsa_private_key_file.";
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
        Config::load_with_values(source).map(|(c, _)| c)
    }

    /// [`Config::load`], keeping the values too: later checks place their
    /// errors at the line that set a key, and per-user files start from them.
    /// Errors in the lines and in the values they make are reported together.
    pub fn load_with_values(source: &Source) -> Result<(Config, Values), ConfigErrors> {
        let (values, mut errors) = read_values(FTP_KEYS, source);
        match Config::from_values(&values) {
            Ok(config) if errors.is_empty() => Ok((config, values)),
            Ok(_) => Err(errors),
            Err(more) => {
                errors.extend(more.0);
                Err(errors)
            }
        }
    }

    /// A user's config (user_config_dir): `base` with the keys of the file
    /// at `path` set on top; its errors name that file.
    pub fn for_user(base: &Values, path: &str) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigErrors::from(ConfigError::new(path, None, None, format!("cannot read: {e}"))))?;
        let mut values = base.clone();
        values.apply_text(path, &text)?;
        Config::from_values(&values)
    }

    /// xferlog_enable writes the wu-ftpd xferlog (xferlog_std_format, or both logs).
    pub fn writes_xferlog(&self) -> bool {
        self.xferlog_enable && (self.xferlog_std_format || self.dual_log_enable)
    }

    /// xferlog_enable writes vsftpd's own transfer log (xferlog_std_format=NO, or both logs).
    pub fn writes_vsftpd_log(&self) -> bool {
        self.xferlog_enable && (!self.xferlog_std_format || self.dual_log_enable)
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
        let pasv_ip = self.pasv_address.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>();
        rule(matches!(pasv_ip, Ok(IpAddr::V6(_))), "pasv_address", "PASV can only announce an IPv4 address".into());
        rule(
            !self.pasv_address.is_empty() && pasv_ip.is_err() && !self.pasv_addr_resolve,
            "pasv_address",
            format!("'{}' is not an IP address (a host name needs pasv_addr_resolve=YES)", self.pasv_address),
        );
        rule(
            self.require_cert,
            "require_cert",
            "client certificates are not supported; rftpd refuses YES rather than let password-only logins in".into(),
        );
        rule(
            !self.user_sub_token.is_empty() && self.local_root.is_empty(),
            "user_sub_token",
            "has no effect without local_root".into(),
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
