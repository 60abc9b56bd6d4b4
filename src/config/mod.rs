//! The validated, immutable configuration a session runs with (shared as
//! `Arc<Config>`, so a later reload never changes a running session's rules),
//! read by one parser for rftpd and rtftpd.

pub mod error;
pub mod ftp;
pub mod keys;
pub mod parse;
pub mod patterns;
pub(crate) mod table;

pub use error::{ConfigError, ConfigErrors};
pub use ftp::Config;
use parse::Values;
pub use patterns::NamePatterns;

/// Where the config comes from: a file (or none) plus `-o` overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    pub file: Option<String>,
    pub overrides: Vec<String>,
}

/// Reads a config file (if any) and the `-o` overrides against a key table:
/// the part rftpd and rtftpd share.
pub fn load_values(keys: &'static [keys::Key], source: &Source) -> Result<Values, ConfigErrors> {
    let (values, errors) = read_values(keys, source);
    errors.into_result().map(|()| values)
}

/// The values and every error found reading them: bad lines leave their
/// keys at the default, so later checks can still look at the rest.
pub(crate) fn read_values(keys: &'static [keys::Key], source: &Source) -> (Values, ConfigErrors) {
    let mut values = Values::defaults(keys);
    let mut errors = ConfigErrors::default();
    if let Some(path) = &source.file {
        values.set_source(path);
        match std::fs::read_to_string(path) {
            Ok(text) => errors.extend(values.apply_text(path, &text).err().into_iter().flat_map(|e| e.0)),
            Err(e) => errors.push(ConfigError::new(path, None, None, format!("cannot read: {e}"))),
        }
    }
    for arg in &source.overrides {
        if let Err(e) = values.apply_override(arg) {
            errors.push(e);
        }
    }
    (values, errors)
}

/// How server-log lines are written (`log_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}
