//! Everything a configuration would fail on at run time, found before it
//! runs: `--check-config`, start-up and SIGHUP all call [`prepare`], which
//! reports every problem at once, each as `FILE:LINE: KEY: what is wrong`,
//! and on success hands over what it loaded (the TLS set-up, the passive
//! address, the name lists, the banner) to [`super::Server::new`].

use crate::auth::lists::{Lists, NameList};
use crate::auth::{system, users};
use crate::config::parse::{Value, Values};
use crate::config::{Config, ConfigError, ConfigErrors, Source};
use crate::tls::Tls;
use nix::unistd::Uid;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};
use std::path::Path;

/// What a configuration needs loaded before sessions use it.
#[derive(Debug)]
pub struct Prepared {
    pub(crate) tls: Option<Tls>,
    /// pasv_address, resolved (pasv_addr_resolve) and checked to be IPv4.
    pub(crate) pasv_ip: Option<Ipv4Addr>,
    pub(crate) lists: Lists,
    /// banner_file's lines.
    pub(crate) banner: Option<Vec<String>>,
}

/// A loaded configuration that passed every check, and the notes about it
/// (keys that change nothing, files that are optional).
pub struct Checked {
    pub config: Config,
    pub values: Values,
    pub prepared: Prepared,
    pub notes: Vec<ConfigError>,
}

/// Reads the config and runs every check; all errors are reported together.
pub fn check(source: &Source) -> Result<Checked, ConfigErrors> {
    let (config, values) = Config::load_with_values(source)?;
    let mut notes = values.notes.clone();
    let prepared = prepare(&config, &values, &mut notes)?;
    Ok(Checked { config, values, prepared, notes })
}

/// The checks beyond key syntax; notes go to `notes`.
pub(crate) fn prepare(config: &Config, v: &Values, notes: &mut Vec<ConfigError>) -> Result<Prepared, ConfigErrors> {
    let mut errors = ConfigErrors::default();
    check_users_file(config, v, &mut errors, notes);
    check_roots(config, v, &mut errors);
    if Uid::effective().is_root() {
        check_accounts(config, v, &mut errors);
    }
    check_logs(config, v, &mut errors);
    check_hook(config, v, &mut errors);
    check_user_config_dir(config, v, &mut errors);
    if v.get("tcp_wrappers") == &Value::Bool(true) {
        notes
            .push(v.error("tcp_wrappers", "YES is ignored: rftpd does not read /etc/hosts.allow or hosts.deny".into()));
    }
    let tls = Tls::load(config).map_err(|e| errors.push(v.error(e.key, e.message))).ok().flatten();
    let pasv_ip = resolve_pasv_address(config).map_err(|m| errors.push(v.error("pasv_address", m))).ok().flatten();
    let mut list = |on: bool, key: &'static str, path: &str| -> Option<NameList> {
        if !on {
            return None;
        }
        NameList::load(path).map_err(|e| errors.push(v.error(key, e.to_string()))).ok()
    };
    let lists = Lists {
        userlist: list(config.userlist_enable, "userlist_file", &config.userlist_file),
        chroot_list: list(config.chroot_list_enable, "chroot_list_file", &config.chroot_list_file),
        banned_emails: list(config.deny_email_enable, "banned_email_file", &config.banned_email_file),
        email_passwords: list(config.secure_email_list_enable, "email_password_file", &config.email_password_file),
    };
    let banner = match config.banner_file.as_str() {
        "" => None,
        path => std::fs::read_to_string(path)
            .map(|t| t.lines().map(str::to_owned).collect())
            .map_err(|e| errors.push(v.error("banner_file", format!("{path}: {e}"))))
            .ok(),
    };
    errors.into_result()?;
    Ok(Prepared { tls, pasv_ip, lists, banner })
}

/// The users file parses, every hash is a hash, every home is a directory.
/// A missing file is an error only when it is the only way to log in.
fn check_users_file(config: &Config, v: &Values, errors: &mut ConfigErrors, notes: &mut Vec<ConfigError>) {
    let path = config.user_file.as_str();
    if path.is_empty() {
        return;
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // An error when the admin named the file and it is the only way in;
            // a vsftpd.conf knows no user_file, so the default is only noted.
            let only_way = !config.anonymous_enable && !config.local_enable;
            let why = format!("{path} does not exist");
            match only_way && v.is_set("user_file") {
                true => errors.push(v.error("user_file", format!("{why}, and no other login is enabled"))),
                false if only_way => notes.push(v.error("user_file", format!("{why}: nobody can log in"))),
                false => notes.push(v.error("user_file", format!("{why}: no virtual users"))),
            }
            return;
        }
        Err(e) => return errors.push(v.error("user_file", format!("{path}: {e}"))),
    };
    for (line, message) in users::check(&text) {
        errors.push(ConfigError::new(path, Some(line), None, message));
    }
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o004 != 0 {
            notes.push(
                v.error("user_file", format!("{path} is readable by everyone; its hashes should not be (chmod 600)")),
            );
        }
    }
}

/// Directories sessions start in exist.
fn check_roots(config: &Config, v: &Values, errors: &mut ConfigErrors) {
    if config.anonymous_enable && !Path::new(&config.anon_root).is_dir() {
        errors.push(v.error("anon_root", format!("{} is not a directory", config.anon_root)));
    }
    let root = &config.local_root;
    let literal = config.user_sub_token.is_empty() || !root.contains(&config.user_sub_token);
    if !root.is_empty() && literal && !Path::new(root).is_dir() {
        errors.push(v.error("local_root", format!("{root} is not a directory")));
    }
}

/// Started as root, sessions run as these accounts: each must exist (and
/// not be root), or every login it serves would fail.
fn check_accounts(config: &Config, v: &Values, errors: &mut ConfigErrors) {
    let has_virtual_users = !config.user_file.is_empty() && Path::new(&config.user_file).exists();
    let needed = [
        ("ftp_username", &config.ftp_username, config.anonymous_enable),
        ("guest_username", &config.guest_username, has_virtual_users || (config.guest_enable && config.local_enable)),
        ("chown_username", &config.chown_username, config.chown_uploads),
        ("nopriv_user", &config.nopriv_user, true),
    ];
    for (key, name, used) in needed {
        if !used || name.is_empty() {
            continue;
        }
        match system::lookup(name) {
            Ok(Some(a)) if a.id.uid == 0 && key != "chown_username" => {
                errors.push(v.error(key, format!("'{name}' is root; sessions must not run as root")))
            }
            Ok(Some(_)) => {}
            Ok(None) => errors.push(
                v.error(key, format!("no such account '{name}' (create it, or set {key}= to use the server's own)")),
            ),
            Err(e) => errors.push(v.error(key, e)),
        }
    }
}

/// upload_hook names a program the daemon can run.
fn check_hook(config: &Config, v: &Values, errors: &mut ConfigErrors) {
    let hook = config.upload_hook.as_str();
    if hook.is_empty() {
        return;
    }
    let runnable = Path::new(hook).is_file() && nix::unistd::access(hook, nix::unistd::AccessFlags::X_OK).is_ok();
    if !runnable {
        errors.push(v.error("upload_hook", format!("{hook} is not an executable file")));
    }
}

/// Log files (and the pid file) can be opened for appending: the file is writable, or its
/// directory is (and exists).
fn check_logs(config: &Config, v: &Values, errors: &mut ConfigErrors) {
    let files = [
        ("log_file", config.log_file.as_str(), !config.log_file.is_empty() && !config.syslog_enable),
        ("xferlog_file", config.xferlog_file.as_str(), config.xferlog_enable && config.writes_xferlog()),
        ("vsftpd_log_file", config.vsftpd_log_file.as_str(), config.writes_vsftpd_log() && !config.syslog_enable),
        ("wtmp_file", config.wtmp_file.as_str(), config.session_support),
        ("pid_file", config.pid_file.as_str(), !config.pid_file.is_empty()),
    ];
    for (key, path, used) in files {
        if used && let Err(why) = crate::log::file::appendable(Path::new(path)) {
            errors.push(v.error(key, format!("{path}: {why}")));
        }
    }
}

/// Every per-user file parses (its errors name it and its lines).
fn check_user_config_dir(config: &Config, v: &Values, errors: &mut ConfigErrors) {
    let dir = config.user_config_dir.as_str();
    if dir.is_empty() {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return errors.push(v.error("user_config_dir", format!("{dir}: {e}"))),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_file()
            && let Err(e) = Config::for_user(v, &path.to_string_lossy())
        {
            errors.extend(e.0);
        }
    }
}

/// pasv_address as the IPv4 address PASV announces; a host name is
/// resolved (pasv_addr_resolve) to its first IPv4 address.
fn resolve_pasv_address(config: &Config) -> Result<Option<Ipv4Addr>, String> {
    let text = config.pasv_address.trim_start_matches('[').trim_end_matches(']');
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => return Ok(Some(ip)),
        Ok(IpAddr::V6(_)) => return Err("PASV can only announce an IPv4 address".into()),
        Err(_) => {}
    }
    let found = (text, 0).to_socket_addrs().map_err(|e| format!("cannot resolve '{text}': {e}"))?;
    found
        .filter_map(|a| match a.ip() {
            IpAddr::V4(ip) => Some(ip),
            IpAddr::V6(_) => None,
        })
        .next()
        .map(Some)
        .ok_or_else(|| format!("'{text}' has no IPv4 address"))
}
