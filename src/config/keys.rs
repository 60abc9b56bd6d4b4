//! THE table of config keys: name, type, default, range and a one-line doc.
//! The parser, `--check-config`, `etc/rftpd.conf` and its test all read it,
//! so a default cannot drift. Names are vsftpd's wherever vsftpd has the setting.

/// What values a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// YES/NO (also TRUE/FALSE, 1/0, any case).
    Bool,
    /// A decimal number in `min..=max`.
    Number { min: u64, max: u64 },
    /// An octal permission mask up to 0777 (`022`, `0644`).
    Octal,
    /// Free text (may be empty).
    Text,
    /// An absolute path, or empty where the doc says empty is allowed.
    Path,
    /// A comma-separated list of IPv4/IPv6 addresses (may be empty).
    AddressList,
    /// One IP address, or empty.
    Address,
}

#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    pub default: &'static str,
    pub doc: &'static str,
}

const fn key(name: &'static str, kind: Kind, default: &'static str, doc: &'static str) -> Key {
    Key { name, kind, default, doc }
}

const fn num(min: u64, max: u64) -> Kind {
    Kind::Number { min, max }
}

const PORT: Kind = num(0, 65535);
const SECONDS: Kind = num(0, 86_400);

/// The rftpd keys, in the order `etc/rftpd.conf` documents them.
pub const FTP_KEYS: &[Key] = &[
    // Listening
    key(
        "listen_address",
        Kind::AddressList,
        "",
        "Addresses to listen on, comma-separated IPv4/IPv6; empty = all (one dual-stack [::] socket).",
    ),
    key("listen_port", PORT, "21", "Control connection port (0 = any free port, logged at start-up)."),
    key("ftpd_banner", Kind::Text, "rftpd ready.", "Text of the 220 greeting."),
    key(
        "max_clients",
        num(1, 100_000),
        "2000",
        "Most sessions at once (worker threads); beyond it new connections get 421.",
    ),
    key("max_per_ip", num(0, 100_000), "50", "Most sessions from one client address (0 = no limit); beyond it 421."),
    key(
        "nopriv_user",
        Kind::Text,
        "",
        "When started as root: after binding, become this user for good, keeping only the capabilities per-session accounts need; empty = stay root with those capabilities only.",
    ),
    // Logins
    key("anonymous_enable", Kind::Bool, "NO", "Allow logins as 'anonymous' or 'ftp' with any password."),
    key("anon_root", Kind::Path, "/srv/ftp", "Root directory of anonymous sessions."),
    key(
        "user_file",
        Kind::Path,
        "/etc/rftpd/rftpd.users",
        "Virtual users file (name:crypt-hash:home:perms, perms e.g. ro, rw, rw,-delete); empty = no virtual users.",
    ),
    key(
        "guest_username",
        Kind::Text,
        "ftp",
        "When started as root: the account whose permissions virtual users read and write files with; empty = the server's own.",
    ),
    key(
        "ftp_username",
        Kind::Text,
        "ftp",
        "When started as root: the account whose permissions anonymous users read and write files with; empty = the server's own.",
    ),
    key(
        "local_enable",
        Kind::Bool,
        "NO",
        "Allow logins by system accounts (/etc/passwd, /etc/shadow), each session running with its account's permissions; needs root.",
    ),
    key(
        "chroot_local_user",
        Kind::Bool,
        "YES",
        "Jail system accounts in their home directory; NO = they see the whole file system, starting in their home.",
    ),
    key("check_shell", Kind::Bool, "YES", "System accounts need a login shell listed in /etc/shells."),
    key(
        "pam_service_name",
        Kind::Text,
        "rftpd",
        "PAM service (/etc/pam.d/NAME) checking system accounts when rftpd is built with the pam feature; else /etc/shadow is read.",
    ),
    key(
        "ftpusers_file",
        Kind::Path,
        "/etc/ftpusers",
        "System accounts listed in this file (one name per line) may not log in; empty = no such list.",
    ),
    key("delay_failed_login", SECONDS, "1", "Seconds to wait before answering a failed login with 530."),
    key("max_login_fails", num(0, 1000), "3", "Failed logins after which the session is closed (0 = never)."),
    key(
        "login_timeout",
        num(1, 3600),
        "60",
        "Seconds from connecting to a successful login (TLS handshake included); then 421 and close.",
    ),
    key(
        "ban_after",
        num(0, 1000),
        "10",
        "Failed logins from one address, across its sessions, after which it is banned (0 = never).",
    ),
    key("ban_seconds", num(1, 604_800), "600", "How long a ban lasts; banned addresses get 421 at connect."),
    key(
        "max_connect_rate",
        num(0, 100_000),
        "0",
        "Most new connections per minute from one address (0 = no limit); beyond it 421.",
    ),
    // Access
    key(
        "deny_file",
        Kind::Text,
        "",
        "Names no command may touch, e.g. {*.key,.git}: globs (* ?) matched against every path component.",
    ),
    key("hide_file", Kind::Text, "", "Names left out of listings (same syntax as deny_file); still reachable by name."),
    key("anon_max_rate", num(0, u64::MAX >> 1), "0", "Bytes per second per anonymous transfer (0 = no limit)."),
    key("local_max_rate", num(0, u64::MAX >> 1), "0", "Bytes per second per transfer of other users (0 = no limit)."),
    key("download_enable", Kind::Bool, "YES", "Allow downloads (RETR) at all; NO makes an upload-only server."),
    key(
        "anon_world_readable_only",
        Kind::Bool,
        "YES",
        "Anonymous users may download only files everyone may read (so uploads made with anon_umask=077 stay unreadable to them).",
    ),
    // Writing
    key(
        "write_enable",
        Kind::Bool,
        "NO",
        "Allow any command that changes the file system (each user also needs the permission for it).",
    ),
    key("anon_upload_enable", Kind::Bool, "NO", "With write_enable, let anonymous users upload files."),
    key("anon_mkdir_write_enable", Kind::Bool, "NO", "With write_enable, let anonymous users create directories."),
    key("anon_other_write_enable", Kind::Bool, "NO", "With write_enable, let anonymous users delete and rename."),
    key(
        "chown_uploads",
        Kind::Bool,
        "NO",
        "Give files anonymous users upload to chown_username, with chown_upload_mode (needs root).",
    ),
    key("chown_username", Kind::Text, "root", "The owner of anonymous uploads when chown_uploads=YES."),
    key("chown_upload_mode", Kind::Octal, "0600", "The mode of anonymous uploads when chown_uploads=YES."),
    key("local_umask", Kind::Octal, "077", "Umask applied to files and directories virtual and system users create."),
    key("anon_umask", Kind::Octal, "077", "Umask applied to files and directories anonymous users create."),
    key("file_open_mode", Kind::Octal, "0666", "Mode of uploaded files before the umask."),
    // TLS (FTPS, RFC 4217)
    key("ssl_enable", Kind::Bool, "NO", "Offer explicit FTPS: AUTH TLS on the control connection, PBSZ, PROT P."),
    key(
        "implicit_ssl",
        Kind::Bool,
        "NO",
        "Implicit FTPS: every connection speaks TLS from its first byte (use with listen_port=990).",
    ),
    key(
        "rsa_cert_file",
        Kind::Path,
        "/etc/rftpd/rftpd.pem",
        "PEM certificate chain for TLS (the private key may be in the same file).",
    ),
    key("rsa_private_key_file", Kind::Path, "", "PEM private key; empty = read it from rsa_cert_file."),
    key("ssl_tlsv1_2", Kind::Bool, "YES", "Allow TLS 1.2."),
    key("ssl_tlsv1_3", Kind::Bool, "YES", "Allow TLS 1.3."),
    key(
        "force_local_logins_ssl",
        Kind::Bool,
        "YES",
        "With ssl_enable, non-anonymous users must AUTH TLS before USER (else 530).",
    ),
    key(
        "force_local_data_ssl",
        Kind::Bool,
        "YES",
        "With ssl_enable, non-anonymous users must use PROT P for data (else 522).",
    ),
    key("force_anon_logins_ssl", Kind::Bool, "NO", "With ssl_enable, anonymous users must AUTH TLS before USER."),
    key("force_anon_data_ssl", Kind::Bool, "NO", "With ssl_enable, anonymous users must use PROT P for data."),
    key(
        "require_ssl_reuse",
        Kind::Bool,
        "YES",
        "PROT P data connections must resume this control connection's TLS session (else 522).",
    ),
    // Data connections
    key("pasv_enable", Kind::Bool, "YES", "Allow passive data connections (PASV, EPSV)."),
    key("pasv_min_port", PORT, "0", "Lowest port offered for passive data connections (0 = any)."),
    key("pasv_max_port", PORT, "0", "Highest port offered for passive data connections (0 = any)."),
    key(
        "pasv_address",
        Kind::Address,
        "",
        "IPv4 address announced in PASV replies (for NAT); empty = the control connection's local address.",
    ),
    key(
        "pasv_promiscuous",
        Kind::Bool,
        "NO",
        "Accept passive data connections from any address (disables theft protection).",
    ),
    key("port_enable", Kind::Bool, "YES", "Allow active data connections (PORT, EPRT)."),
    key("port_promiscuous", Kind::Bool, "NO", "Allow PORT/EPRT to any address and port (disables bounce protection)."),
    key(
        "connect_from_port_20",
        Kind::Bool,
        "NO",
        "Make active data connections from port 20 (needs CAP_NET_BIND_SERVICE; falls back to any port).",
    ),
    key("accept_timeout", num(1, 3600), "60", "Seconds to wait for the client to open a passive data connection."),
    key(
        "connect_timeout",
        num(1, 3600),
        "60",
        "Seconds to wait for an active data connection to be accepted by the client.",
    ),
    key(
        "data_connection_timeout",
        num(1, 86_400),
        "300",
        "Seconds a data connection may stall before the transfer fails.",
    ),
    key("shutdown_grace", num(0, 86_400), "30", "Seconds SIGTERM waits for running transfers before rftpd exits."),
    key(
        "idle_session_timeout",
        num(1, 86_400),
        "300",
        "Seconds without a command before the session is closed with 421.",
    ),
    // Listings
    key("hide_ids", Kind::Bool, "NO", "Show every owner and group as 'ftp' in listings."),
    key("use_localtime", Kind::Bool, "NO", "Show local time instead of UTC in LIST (MDTM and MLSx are always UTC)."),
    // Logging
    key(
        "log_file",
        Kind::Path,
        "/var/log/rftpd.log",
        "Server log file; empty = standard error (also with -f or under systemd).",
    ),
    key(
        "log_level",
        Kind::Text,
        "info",
        "Server log level: off, error, warn, info, debug or trace (RUST_LOG overrides).",
    ),
    key(
        "log_ftp_protocol",
        Kind::Bool,
        "NO",
        "Log every command and reply at debug level (passwords are never logged).",
    ),
    key("xferlog_enable", Kind::Bool, "NO", "Write one wu-ftpd xferlog line per transfer."),
    key("xferlog_file", Kind::Path, "/var/log/xferlog", "Where xferlog lines go."),
];

/// The rtftpd keys, in the order `etc/rtftpd.conf` documents them.
pub const TFTP_KEYS: &[Key] = &[
    key(
        "listen_address",
        Kind::AddressList,
        "",
        "Addresses to listen on, comma-separated IPv4/IPv6; empty = all (one dual-stack [::] socket).",
    ),
    key("listen_port", PORT, "69", "UDP port for requests (0 = any free port, logged at start-up)."),
    key(
        "tftp_root",
        Kind::Path,
        "/srv/tftp",
        "Directory served; every path is resolved inside it (../ and absolute paths stay in it).",
    ),
    key("write_enable", Kind::Bool, "NO", "Accept write requests (WRQ) at all."),
    key("create_enable", Kind::Bool, "NO", "With write_enable, let WRQ create files that do not exist."),
    key("overwrite_enable", Kind::Bool, "NO", "With write_enable, let WRQ replace existing files."),
    key("max_upload", num(0, u64::MAX >> 1), "0", "Largest file a WRQ may write, in bytes (0 = no limit)."),
    key("max_blksize", num(8, 65464), "65464", "Largest block size granted (RFC 2348)."),
    key(
        "max_windowsize",
        num(1, 1024),
        "64",
        "Largest window granted (RFC 7440); a window of blocks is kept in memory.",
    ),
    key(
        "timeout",
        num(1, 255),
        "1",
        "Seconds before a block is sent again, unless the client asks otherwise (RFC 2349).",
    ),
    key("retries", num(1, 100), "5", "Timeouts in a row after which a transfer is given up."),
    key(
        "max_transfers",
        num(1, 100_000),
        "100",
        "Most transfers at once (worker threads); beyond it requests get ERROR 0 \"server busy\".",
    ),
    key("shutdown_grace", num(0, 86_400), "30", "Seconds SIGTERM waits for running transfers before rtftpd exits."),
    key(
        "log_file",
        Kind::Path,
        "/var/log/rtftpd.log",
        "Log file; empty = standard error (also with -f or under systemd).",
    ),
    key("log_level", Kind::Text, "info", "Log level: off, error, warn, info, debug or trace (RUST_LOG overrides)."),
];

pub const TFTP_SAMPLE_HEADER: &str = "\
# /etc/rftpd/rtftpd.conf: rtftpd (TFTP server) configuration.
#
# The same syntax as rftpd.conf: one key=value per line, '#' starts a
# comment, booleans are YES or NO. Every key is listed below with its
# built-in default, commented out.
#
# Check a file:   rtftpd -c /etc/rftpd/rtftpd.conf --check-config
# Override a key: rtftpd -o key=value (repeatable)
";

/// Looks a key up by name.
pub fn find(keys: &'static [Key], name: &str) -> Option<&'static Key> {
    keys.iter().find(|k| k.name == name)
}

/// The sample config file: a header, then every key with its doc and its
/// default, commented out. `etc/rftpd.conf` is exactly this (a test checks).
pub fn sample(keys: &[Key], header: &str) -> String {
    let mut out = String::from(header);
    for k in keys {
        out.push_str(&format!("\n# {}\n#{}={}\n", k.doc, k.name, k.default));
    }
    out
}

pub const FTP_SAMPLE_HEADER: &str = "\
# /etc/rftpd/rftpd.conf: rftpd configuration.
#
# Syntax as vsftpd.conf: one key=value per line, '#' starts a comment,
# booleans are YES or NO. Key names are vsftpd's wherever vsftpd has the
# setting. Every key is listed below with its built-in default, commented
# out: uncomment and change what you need. A key set twice is an error.
#
# Check a file:   rftpd -c /etc/rftpd/rftpd.conf --check-config
# Override a key: rftpd -o key=value (repeatable)
";

/// How a kind is described in the man page.
fn kind_text(kind: Kind) -> String {
    match kind {
        Kind::Bool => "YES or NO".into(),
        Kind::Number { min, max } => format!("number, {min} to {max}"),
        Kind::Octal => "octal mode, 000 to 0777".into(),
        Kind::Text => "text".into(),
        Kind::Path => "absolute path".into(),
        Kind::AddressList => "comma-separated IPv4/IPv6 addresses".into(),
        Kind::Address => "IP address".into(),
    }
}

/// Escapes text for roff: backslashes, and a leading dot or quote.
fn roff(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') { format!("\\&{t}") } else { t }
}

/// The KEYS section of a man page: every key with its type, default and meaning.
pub fn man_keys(keys: &[Key]) -> String {
    let mut out = String::new();
    for k in keys {
        let default = if k.default.is_empty() { "empty".to_string() } else { format!("\\fB{}\\fR", roff(k.default)) };
        out.push_str(&format!(".TP\n.B {}\n({}; default {})\n{}\n", k.name, kind_text(k.kind), default, roff(k.doc)));
    }
    out
}

pub const FTP_MAN_HEAD: &str = r#".TH RFTPD.CONF 5 "2026" "rftpd" "File formats"
.SH NAME
rftpd.conf \- configuration file of the rftpd FTP server
.SH SYNOPSIS
.B /etc/rftpd/rftpd.conf
.SH DESCRIPTION
One \fIkey\fB=\fIvalue\fR per line; lines starting with \fB#\fR and blank
lines are ignored; booleans are \fBYES\fR or \fBNO\fR. Key names are
vsftpd's wherever vsftpd has the setting. A key set twice, an unknown key or
a bad value is an error naming the file, the line and the key. Any key can
also be set on the command line with \fB\-o\fR \fIkey\fB=\fIvalue\fR,
which overrides the file. \fBrftpd \-\-check\-config\fR checks a file.
SIGHUP makes a running rftpd read it again for new sessions; a file with
errors is refused and the old configuration stays.
.SH KEYS
"#;

pub const FTP_MAN_TAIL: &str = r#".SH FILES
.TP
.B /etc/rftpd/rftpd.conf
this file
.TP
.B /etc/rftpd/rftpd.users
virtual users, see \fBrftpd.users\fR(5)
.SH SEE ALSO
.BR rftpd (8),
.BR rftpd.users (5),
.BR vsftpd.conf (5)
"#;

pub const TFTP_MAN_HEAD: &str = r#".TH RTFTPD 8 "2026" "rftpd" "System administration"
.SH NAME
rtftpd \- TFTP server sharing rftpd's jail, configuration syntax and logs
.SH SYNOPSIS
.B rtftpd
[\fB\-c\fR \fIfile\fR] [\fB\-o\fR \fIkey\fB=\fIvalue\fR]... [\fB\-\-check\-config\fR] [\fB\-\-inetd\fR] [\fB\-f\fR] [\fB\-V\fR] [\fB\-h\fR]
.SH DESCRIPTION
.B rtftpd
serves TFTP (RFC 1350) with the options blksize (RFC 2348), tsize and timeout
(RFC 2349) and windowsize (RFC 7440), in octet and netascii modes. The main
thread receives requests; each transfer runs in a worker thread from its own
UDP port. Every file name is resolved inside \fBtftp_root\fR (\fB../\fR and
absolute names stay inside, like \fBin.tftpd \-s\fR). Writes are off by
default; uploads are written under a temporary name and renamed into place
before the final acknowledgement, so a broken upload never destroys a file.
.SH OPTIONS
\fB\-c\fR \fIfile\fR (default \fB/etc/rftpd/rtftpd.conf\fR; \fB/dev/null\fR
for none), \fB\-o\fR \fIkey\fB=\fIvalue\fR, \fB\-\-check\-config\fR, \fB\-f\fR
(log to standard error) and \fB\-V\fR work as in \fBrftpd\fR(8).
\fB\-\-inetd\fR serves requests arriving on the UDP socket that is standard
input (inetd \fBdgram udp wait\fR) and exits after 30 idle seconds. Under
systemd socket activation the passed socket is used.
.SH SIGNALS
SIGHUP and SIGUSR1 reopen the log file. SIGTERM and SIGINT stop taking
requests and let running transfers finish for up to \fBshutdown_grace\fR
seconds; a second signal exits at once.
.SH CONFIGURATION KEYS
The syntax of \fBrftpd.conf\fR(5): one \fIkey\fB=\fIvalue\fR per line.
"#;

pub const TFTP_MAN_TAIL: &str = r#".SH SEE ALSO
.BR rftpd (8),
.BR rftpd.conf (5),
.BR in.tftpd (8)
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// etc/rftpd.conf documents every key with its real default. Regenerate
    /// with `RFTPD_BLESS=1 cargo test sample_config`.
    #[test]
    fn sample_config_matches_the_table() {
        for (keys, header, file) in
            [(FTP_KEYS, FTP_SAMPLE_HEADER, "rftpd.conf"), (TFTP_KEYS, TFTP_SAMPLE_HEADER, "rtftpd.conf")]
        {
            let expected = sample(keys, header);
            let path = format!("{}/etc/{file}", env!("CARGO_MANIFEST_DIR"));
            if std::env::var_os("RFTPD_BLESS").is_some() {
                std::fs::write(&path, &expected).unwrap();
            }
            let actual = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(actual == expected, "etc/{file} is out of date: run RFTPD_BLESS=1 cargo test sample_config");
        }
    }

    /// rftpd.conf(5) and rtftpd(8) list every key with its type and real default.
    #[test]
    fn man_page_matches_the_table() {
        let pages = [
            (FTP_KEYS, FTP_MAN_HEAD, FTP_MAN_TAIL, "rftpd.conf.5"),
            (TFTP_KEYS, TFTP_MAN_HEAD, TFTP_MAN_TAIL, "rtftpd.8"),
        ];
        for (keys, head, tail, file) in pages {
            let expected = format!("{head}{}{tail}", man_keys(keys));
            let path = format!("{}/etc/man/{file}", env!("CARGO_MANIFEST_DIR"));
            if std::env::var_os("RFTPD_BLESS").is_some() {
                std::fs::write(&path, &expected).unwrap();
            }
            let actual = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(actual == expected, "etc/man/{file} is out of date: run RFTPD_BLESS=1 cargo test man_page");
            for k in keys {
                assert!(actual.contains(&format!(".B {}\n", k.name)), "{} missing from {file}", k.name);
            }
        }
    }

    #[test]
    fn names_are_unique_and_defaults_parse() {
        for keys in [FTP_KEYS, TFTP_KEYS] {
            for (i, k) in keys.iter().enumerate() {
                assert!(keys[i + 1..].iter().all(|o| o.name != k.name), "{} twice", k.name);
                assert!(crate::config::parse::check_value(k, k.default).is_ok(), "{}", k.name);
            }
        }
    }
}
