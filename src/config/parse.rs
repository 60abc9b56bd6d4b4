//! Config text → typed values: `key=value` lines, `#` comments, YES/NO
//! booleans, every value checked against its row in [`super::keys`]. Pure.

use super::error::{ConfigError, ConfigErrors};
use super::keys::{Effect, Key, Kind};
use std::collections::HashMap;
use std::net::IpAddr;

/// A checked value of one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Number(u64),
    Text(String),
    Addresses(Vec<IpAddr>),
    Address(Option<IpAddr>),
}

/// Where a key's value came from, for errors found after parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Default,
    Line { file: String, line: usize },
    Override,
}

/// Values by key name, starting from every default.
#[derive(Debug, Clone)]
pub struct Values {
    keys: &'static [Key],
    map: HashMap<&'static str, (Value, Origin)>,
    /// What errors about keys left at their default name as the file.
    source: String,
    /// Keys set that rftpd accepts for compatibility and ignores, as notes
    /// for `--check-config` (not errors).
    pub(crate) notes: Vec<ConfigError>,
}

impl Values {
    /// Every key at its default.
    pub fn defaults(keys: &'static [Key]) -> Values {
        let map = keys
            .iter()
            .map(|k| {
                let v = check_value(k, k.default).unwrap_or_else(|e| panic!("bad default for {}: {e}", k.name));
                (k.name, (v, Origin::Default))
            })
            .collect();
        Values { keys, map, source: "-o".into(), notes: Vec::new() }
    }

    /// Names the config file in errors about keys left at their default.
    pub(crate) fn set_source(&mut self, file: &str) {
        self.source = file.to_owned();
    }

    /// The value of a key of this table. Every name asked for comes from the
    /// same table the values were made from (see `config_table!`).
    pub(crate) fn get(&self, name: &str) -> &Value {
        &self.map.get(name).unwrap_or_else(|| panic!("config key {name} is not in the keys table")).0
    }

    /// Whether the key was set (in a file or with -o) rather than left at its default.
    pub(crate) fn is_set(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|(_, o)| *o != Origin::Default)
    }

    /// An error about `key`, placed where its value was set.
    pub(crate) fn error(&self, key: &str, message: String) -> ConfigError {
        match self.map.get(key).map(|(_, o)| o) {
            Some(Origin::Line { file, line }) => ConfigError::new(file, Some(*line), Some(key), message),
            Some(Origin::Override) => ConfigError::new("-o", None, Some(key), message),
            _ => ConfigError::new(&self.source, None, Some(key), message),
        }
    }

    /// Applies config text (`file` names it in errors), reporting every bad
    /// line. A key set twice in the same text is an error: the admin meant
    /// one of them.
    pub fn apply_text(&mut self, file: &str, text: &str) -> Result<(), ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let mut seen: HashMap<&'static str, usize> = HashMap::new();
        for (idx, raw) in text.lines().enumerate() {
            let line_no = idx + 1;
            let at = |key: Option<&str>, m: String| ConfigError::new(file, Some(line_no), key, m);
            let (name, value) = match split_line(raw) {
                Ok(Some(kv)) => kv,
                Ok(None) => continue,
                Err(m) => {
                    errors.push(at(None, m));
                    continue;
                }
            };
            let Some(key) = super::keys::find(self.keys, name) else {
                errors.push(at(Some(name), "unknown key".into()));
                continue;
            };
            if let Some(first) = seen.insert(key.name, line_no) {
                errors.push(at(Some(name), format!("set twice (first on line {first})")));
                continue;
            }
            match self.set(key, value, Origin::Line { file: file.to_owned(), line: line_no }) {
                Ok(()) => self.note(key, Some(line_no), file),
                Err(m) => errors.push(at(Some(name), m)),
            }
        }
        errors.into_result()
    }

    /// Applies one `KEY=VALUE` command-line override (`-o`).
    pub fn apply_override(&mut self, arg: &str) -> Result<(), ConfigError> {
        let (name, value) = match split_line(arg) {
            Ok(Some(kv)) => kv,
            _ => {
                return Err(ConfigError::new("-o", None, None, format!("'{arg}' is not KEY=VALUE")));
            }
        };
        let key = super::keys::find(self.keys, name)
            .ok_or_else(|| ConfigError::new("-o", None, Some(name), "unknown key"))?;
        self.set(key, value, Origin::Override).map_err(|m| ConfigError::new("-o", None, Some(name), m))?;
        self.note(key, None, "-o");
        Ok(())
    }

    fn set(&mut self, key: &'static Key, raw: &str, origin: Origin) -> Result<(), String> {
        let value = check_value(key, raw)?;
        self.map.insert(key.name, (value, origin));
        Ok(())
    }

    /// A key accepted for compatibility was set: say that it changes nothing.
    fn note(&mut self, key: &Key, line: Option<usize>, file: &str) {
        if let Effect::Ignored(why) = key.effect {
            self.notes.push(ConfigError::new(file, line, Some(key.name), format!("accepted, no effect: {why}")));
        }
    }
}

/// One line → `Some((key, value))`, `None` for blank and comment lines.
fn split_line(raw: &str) -> Result<Option<(&str, &str)>, String> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let Some((key, value)) = line.split_once('=') else {
        return Err(format!("'{line}' is not key=value"));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err("missing key before '='".into());
    }
    Ok(Some((key, value.trim())))
}

/// Checks a raw value against its key's kind.
pub(crate) fn check_value(key: &Key, raw: &str) -> Result<Value, String> {
    match key.kind {
        Kind::Bool => match raw.to_ascii_uppercase().as_str() {
            "YES" | "TRUE" | "1" => Ok(Value::Bool(true)),
            "NO" | "FALSE" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("'{raw}' is not YES or NO")),
        },
        Kind::Number { min, max } => {
            let n: u64 = raw.parse().map_err(|_| format!("'{raw}' is not a number"))?;
            if n < min || n > max {
                return Err(format!("{n} is out of range ({min}..={max})"));
            }
            Ok(Value::Number(n))
        }
        Kind::Octal => {
            let n = u64::from_str_radix(raw, 8).map_err(|_| format!("'{raw}' is not an octal mode"))?;
            if n > 0o777 {
                return Err(format!("{raw} is out of range (0..=0777)"));
            }
            Ok(Value::Number(n))
        }
        Kind::Text => Ok(Value::Text(raw.to_owned())),
        Kind::Path => {
            if !raw.is_empty() && !raw.starts_with('/') {
                return Err(format!("'{raw}' is not an absolute path"));
            }
            Ok(Value::Text(raw.to_owned()))
        }
        Kind::AddressList => raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_ip)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Addresses),
        Kind::Address if raw.is_empty() => Ok(Value::Address(None)),
        Kind::Address => parse_ip(raw).map(|ip| Value::Address(Some(ip))),
    }
}

fn parse_ip(s: &str) -> Result<IpAddr, String> {
    s.trim_start_matches('[').trim_end_matches(']').parse().map_err(|_| format!("'{s}' is not an IP address"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ftp::FTP_KEYS;

    fn apply(text: &str) -> Result<Values, ConfigError> {
        let mut v = Values::defaults(FTP_KEYS);
        v.apply_text("/etc/rftpd.conf", text).map(|()| v).map_err(|e| e.0[0].clone())
    }

    fn number(v: &Values, name: &str) -> u64 {
        match v.get(name) {
            Value::Number(n) => *n,
            other => panic!("{other:?}"),
        }
    }

    fn boolean(v: &Values, name: &str) -> bool {
        v.get(name) == &Value::Bool(true)
    }

    #[test]
    fn every_default_is_valid() {
        let v = Values::defaults(FTP_KEYS);
        assert_eq!(number(&v, "listen_port"), 21);
        assert!(!boolean(&v, "anonymous_enable"));
        assert_eq!(number(&v, "local_umask"), 0o077);
    }

    #[test]
    fn comments_blank_lines_and_booleans() {
        let v = apply("# comment\n\n  anonymous_enable = yes\nwrite_enable=NO\nhide_ids=True\n").unwrap();
        assert!(boolean(&v, "anonymous_enable"));
        assert!(!boolean(&v, "write_enable"));
        assert!(boolean(&v, "hide_ids"));
    }

    #[test]
    fn error_names_file_line_and_key() {
        let e = apply("listen_port=2121\npasv_min_port=70000\n").unwrap_err();
        assert_eq!(e.to_string(), "/etc/rftpd.conf:2: pasv_min_port: 70000 is out of range (0..=65535)");
        let e = apply("no_such_key=1").unwrap_err();
        assert_eq!(e.to_string(), "/etc/rftpd.conf:1: no_such_key: unknown key");
        let e = apply("anonymous_enable=maybe").unwrap_err();
        assert_eq!(e.to_string(), "/etc/rftpd.conf:1: anonymous_enable: 'maybe' is not YES or NO");
        let e = apply("just text").unwrap_err();
        assert_eq!(e.to_string(), "/etc/rftpd.conf:1: 'just text' is not key=value");
    }

    #[test]
    fn every_bad_line_is_reported_at_once() {
        let mut v = Values::defaults(FTP_KEYS);
        let e = v.apply_text("f", "bogus=1\nlisten_port=x\nok line\nhide_ids=YES\nmax_clients=0\n").unwrap_err();
        let lines: Vec<Option<usize>> = e.0.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![Some(1), Some(2), Some(3), Some(5)]);
        assert!(boolean(&v, "hide_ids"), "good lines still apply");
    }

    #[test]
    fn duplicate_key_is_an_error() {
        let e = apply("listen_port=1\nlisten_port=2\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("first on line 1"));
    }

    #[test]
    fn addresses_octal_and_paths() {
        let v = apply("listen_address=127.0.0.1, ::1\nlocal_umask=022\nanon_root=/srv/ftp\npasv_address=[10.0.0.1]")
            .unwrap();
        assert!(matches!(v.get("listen_address"), Value::Addresses(a) if a.len() == 2));
        assert_eq!(number(&v, "local_umask"), 0o22);
        assert_eq!(v.get("pasv_address"), &Value::Text("[10.0.0.1]".into()));
        assert!(apply("anon_root=relative/path").is_err());
        assert!(apply("local_umask=0999").is_err());
        assert!(apply("listen_address=localhost").is_err());
    }

    #[test]
    fn override_uses_dash_o_as_file() {
        let mut v = Values::defaults(FTP_KEYS);
        v.apply_override("listen_port=2121").unwrap();
        assert_eq!(number(&v, "listen_port"), 2121);
        let e = v.apply_override("listen_port").unwrap_err();
        assert_eq!(e.file, "-o");
    }
}
