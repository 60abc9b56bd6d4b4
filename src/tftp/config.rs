//! rtftpd's validated configuration, read by the same parser as rftpd's.

use crate::config::keys::TFTP_KEYS;
use crate::config::{ConfigError, Source, load_values, log_level, secs};
use std::net::IpAddr;
use std::time::Duration;

/// Field names are the key names.
#[derive(Debug, Clone)]
pub struct TftpConfig {
    pub listen_address: Vec<IpAddr>,
    pub listen_port: u16,
    pub tftp_root: String,
    pub write_enable: bool,
    pub create_enable: bool,
    pub overwrite_enable: bool,
    pub max_upload: u64,
    pub max_blksize: u16,
    pub max_windowsize: u16,
    pub timeout: Duration,
    pub retries: u32,
    pub max_transfers: usize,
    pub shutdown_grace: Duration,
    pub log_file: String,
    pub log_level: log::LevelFilter,
}

impl TftpConfig {
    pub fn load(source: &Source) -> Result<TftpConfig, ConfigError> {
        let v = load_values(TFTP_KEYS, source)?;
        let file = source.file.as_deref().unwrap_or("-o");
        let log_level = log_level(&v).map_err(|m| ConfigError::new(file, None, Some("log_level"), m))?;
        Ok(TftpConfig {
            listen_address: v.addresses("listen_address").to_vec(),
            listen_port: v.number("listen_port") as u16,
            tftp_root: v.text("tftp_root").to_owned(),
            write_enable: v.bool("write_enable"),
            create_enable: v.bool("create_enable"),
            overwrite_enable: v.bool("overwrite_enable"),
            max_upload: v.number("max_upload"),
            max_blksize: v.number("max_blksize") as u16,
            max_windowsize: v.number("max_windowsize") as u16,
            timeout: secs(&v, "timeout"),
            retries: v.number("retries") as u32,
            max_transfers: v.number("max_transfers") as usize,
            shutdown_grace: secs(&v, "shutdown_grace"),
            log_file: v.text("log_file").to_owned(),
            log_level,
        })
    }
}
