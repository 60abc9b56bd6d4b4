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
    Key {
        name,
        kind,
        default,
        doc,
    }
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
    key(
        "listen_port",
        PORT,
        "21",
        "Control connection port (0 = any free port, logged at start-up).",
    ),
    key(
        "ftpd_banner",
        Kind::Text,
        "rftpd ready.",
        "Text of the 220 greeting.",
    ),
    key(
        "max_clients",
        num(1, 100_000),
        "2000",
        "Most sessions at once (worker threads); beyond it new connections get 421.",
    ),
    key(
        "max_per_ip",
        num(0, 100_000),
        "50",
        "Most sessions from one client address (0 = no limit); beyond it 421.",
    ),
    // Logins
    key(
        "anonymous_enable",
        Kind::Bool,
        "NO",
        "Allow logins as 'anonymous' or 'ftp' with any password.",
    ),
    key(
        "anon_root",
        Kind::Path,
        "/srv/ftp",
        "Root directory of anonymous sessions.",
    ),
    key(
        "user_file",
        Kind::Path,
        "/etc/rftpd/rftpd.users",
        "Virtual users file (name:crypt-hash:home:ro|rw); empty = no virtual users.",
    ),
    key(
        "delay_failed_login",
        SECONDS,
        "1",
        "Seconds to wait before answering a failed login with 530.",
    ),
    key(
        "max_login_fails",
        num(0, 1000),
        "3",
        "Failed logins after which the session is closed (0 = never).",
    ),
    // Writing
    key(
        "write_enable",
        Kind::Bool,
        "NO",
        "Allow any command that changes the file system (users also need 'rw').",
    ),
    key(
        "anon_upload_enable",
        Kind::Bool,
        "NO",
        "With write_enable, let anonymous users upload files.",
    ),
    key(
        "anon_mkdir_write_enable",
        Kind::Bool,
        "NO",
        "With write_enable, let anonymous users create directories.",
    ),
    key(
        "anon_other_write_enable",
        Kind::Bool,
        "NO",
        "With write_enable, let anonymous users delete and rename.",
    ),
    key(
        "local_umask",
        Kind::Octal,
        "077",
        "Umask applied to files and directories virtual users create.",
    ),
    key(
        "anon_umask",
        Kind::Octal,
        "077",
        "Umask applied to files and directories anonymous users create.",
    ),
    key(
        "file_open_mode",
        Kind::Octal,
        "0666",
        "Mode of uploaded files before the umask.",
    ),
    // Data connections
    key(
        "pasv_enable",
        Kind::Bool,
        "YES",
        "Allow passive data connections (PASV, EPSV).",
    ),
    key(
        "pasv_min_port",
        PORT,
        "0",
        "Lowest port offered for passive data connections (0 = any).",
    ),
    key(
        "pasv_max_port",
        PORT,
        "0",
        "Highest port offered for passive data connections (0 = any).",
    ),
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
    key(
        "port_enable",
        Kind::Bool,
        "YES",
        "Allow active data connections (PORT, EPRT).",
    ),
    key(
        "port_promiscuous",
        Kind::Bool,
        "NO",
        "Allow PORT/EPRT to any address and port (disables bounce protection).",
    ),
    key(
        "connect_from_port_20",
        Kind::Bool,
        "NO",
        "Make active data connections from port 20 (needs CAP_NET_BIND_SERVICE; falls back to any port).",
    ),
    key(
        "accept_timeout",
        num(1, 3600),
        "60",
        "Seconds to wait for the client to open a passive data connection.",
    ),
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
    key(
        "idle_session_timeout",
        num(1, 86_400),
        "300",
        "Seconds without a command before the session is closed with 421.",
    ),
    // Listings
    key(
        "hide_ids",
        Kind::Bool,
        "NO",
        "Show every owner and group as 'ftp' in listings.",
    ),
    key(
        "use_localtime",
        Kind::Bool,
        "NO",
        "Show local time instead of UTC in LIST (MDTM and MLSx are always UTC).",
    ),
    // Logging
    key(
        "log_file",
        Kind::Path,
        "",
        "Server log file; empty = standard error.",
    ),
    key(
        "log_ftp_protocol",
        Kind::Bool,
        "NO",
        "Log every command and reply at debug level (passwords are never logged).",
    ),
    key(
        "xferlog_enable",
        Kind::Bool,
        "NO",
        "Write one wu-ftpd xferlog line per transfer.",
    ),
    key(
        "xferlog_file",
        Kind::Path,
        "/var/log/xferlog",
        "Where xferlog lines go.",
    ),
];

/// Looks a key up by name.
pub fn find(keys: &'static [Key], name: &str) -> Option<&'static Key> {
    keys.iter().find(|k| k.name == name)
}
