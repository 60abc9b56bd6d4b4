//! rtftpd's configuration: every key written once, as a row of
//! `config_table!`, read by the same parser as rftpd's.

use crate::config::error::{ConfigError, ConfigErrors};
use crate::config::keys::{Kind, PORT, num};
use crate::config::parse::Values;
use crate::config::table::config_table;
use crate::config::{Source, load_values, read_values};
use std::net::IpAddr;
use std::time::Duration;

config_table! {
    /// Field names are the key names.
    pub(crate) struct TftpConfig, keys TFTP_KEYS {
        listen_address: Vec<IpAddr> = Kind::AddressList, "", "Addresses to listen on, comma-separated IPv4/IPv6; empty = all (one dual-stack [::] socket).";
        listen_port: u16 = PORT, "69", "UDP port for requests (0 = any free port, logged at start-up).";
        tftp_root: String = Kind::Path, "/srv/tftp", "Directory served; every path is resolved inside it (../ and absolute paths stay in it).";
        tftp_username: String = Kind::Text, "tftp", "When started as root: once the sockets are bound, become this account for good, with no capabilities and no_new_privs; empty = stay root, still without capabilities.";
        world_readable_only: bool = Kind::Bool, "YES", "Serve only files everyone may read (as tftpd-hpa does); NO serves any file tftp_username may read.";
        write_enable: bool = Kind::Bool, "NO", "Accept write requests (WRQ) at all.";
        create_enable: bool = Kind::Bool, "NO", "With write_enable, let WRQ create files that do not exist.";
        overwrite_enable: bool = Kind::Bool, "NO", "With write_enable, let WRQ replace existing files.";
        max_upload: u64 = num(0, u64::MAX >> 1), "0", "Largest file a WRQ may write, in bytes (0 = no limit).";
        max_blksize: u16 = num(8, 65464), "65464", "Largest block size granted (RFC 2348).";
        max_windowsize: u16 = num(1, 1024), "64", "Largest window granted (RFC 7440); a window of blocks is kept in memory.";
        timeout: Duration = num(1, 255), "1", "Seconds before a block is sent again, unless the client asks otherwise (RFC 2349).";
        max_timeout: Duration = num(1, 255), "10", "Largest timeout a client may ask for (RFC 2349); a larger request is not acknowledged and `timeout` applies.";
        retries: u32 = num(1, 100), "5", "Timeouts in a row after which a transfer is given up.";
        max_per_ip: usize = num(0, 100_000), "10", "Most transfers at once for one client address (0 = no limit); beyond it ERROR 0.";
        max_transfers: usize = num(1, 100_000), "100", "Most transfers at once (worker threads); beyond it requests get ERROR 0 \"server busy\".";
        shutdown_grace: Duration = num(0, 86_400), "30", "Seconds SIGTERM waits for running transfers before rtftpd exits.";
        metrics_listen_address: Option<std::net::SocketAddr> = Kind::Text, "", "Address and port of the Prometheus endpoint (http://ADDRESS/metrics), e.g. 127.0.0.1:9122; empty = off.";
        pid_file: String = Kind::Path, "", "File the daemon writes its process id to; empty = none. The logrotate script signals /run/rftpd.pid and /run/rtftpd.pid. Not used with --inetd.";
        log_file: String = Kind::Path, "/var/log/rtftpd.log", "Log file; empty = standard error (also with -f or under systemd).";
        log_format: crate::config::LogFormat = Kind::Text, "text", "Log line format: text, or json (one JSON object per line with the same fields).";
        log_level: log::LevelFilter = Kind::Text, "info", "Log level: off, error, warn, info, debug or trace (RUST_LOG overrides).";
    }
    accepted {
    }
}

impl TftpConfig {
    pub fn load(source: &Source) -> Result<TftpConfig, ConfigErrors> {
        TftpConfig::from_values(&load_values(TFTP_KEYS, source)?)
    }

    /// Reads the config and checks what would fail at run time, reporting
    /// every problem as FILE:LINE: KEY: message; returns the notes too.
    pub fn check(source: &Source) -> Result<(TftpConfig, Vec<ConfigError>), ConfigErrors> {
        let (values, mut errors) = read_values(TFTP_KEYS, source);
        let config = match TftpConfig::from_values(&values) {
            Ok(c) if errors.is_empty() => c,
            Ok(_) => return Err(errors),
            Err(more) => {
                errors.extend(more.0);
                return Err(errors);
            }
        };
        if !std::path::Path::new(&config.tftp_root).is_dir() {
            errors.push(values.error("tftp_root", format!("{} is not a directory", config.tftp_root)));
        }
        if nix::unistd::Uid::effective().is_root() && !config.tftp_username.is_empty() {
            match nix::unistd::User::from_name(&config.tftp_username) {
                Ok(Some(u)) if u.uid.is_root() => {
                    errors.push(values.error("tftp_username", format!("'{}' is root", config.tftp_username)))
                }
                Ok(Some(_)) => {}
                Ok(None) => errors.push(values.error(
                    "tftp_username",
                    format!(
                        "no such account '{}' (create it, or set tftp_username= to stay root)",
                        config.tftp_username
                    ),
                )),
                Err(e) => errors.push(values.error("tftp_username", e.to_string())),
            }
        }
        for (key, path) in [("log_file", &config.log_file), ("pid_file", &config.pid_file)] {
            if !path.is_empty()
                && let Err(why) = crate::log::file::appendable(std::path::Path::new(path))
            {
                errors.push(values.error(key, format!("{path}: {why}")));
            }
        }
        errors.into_result()?;
        Ok((config, values.notes))
    }

    pub(crate) fn from_values(v: &Values) -> Result<TftpConfig, ConfigErrors> {
        TftpConfig::convert_all(v)
    }
}
