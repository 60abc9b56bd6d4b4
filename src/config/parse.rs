//! Config text → typed values: `key=value` lines, `#` comments, YES/NO
//! booleans, every value checked against its row in [`super::keys`]. Pure.

use super::error::ConfigError;
use super::keys::{Key, Kind};
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

/// Values by key name, starting from every default.
#[derive(Debug, Clone)]
pub struct Values {
    map: HashMap<&'static str, Value>,
}

impl Values {
    /// Every key at its default.
    pub fn defaults(keys: &'static [Key]) -> Values {
        let map = keys
            .iter()
            .map(|k| (k.name, check_value(k, k.default).unwrap_or_else(|e| panic!("bad default for {}: {e}", k.name))))
            .collect();
        Values { map }
    }

    fn get(&self, name: &str) -> &Value {
        self.map.get(name).unwrap_or_else(|| panic!("config key {name} is not in the keys table"))
    }

    pub fn bool(&self, name: &str) -> bool {
        match self.get(name) {
            Value::Bool(b) => *b,
            v => panic!("{name} is not a bool: {v:?}"),
        }
    }

    pub fn number(&self, name: &str) -> u64 {
        match self.get(name) {
            Value::Number(n) => *n,
            v => panic!("{name} is not a number: {v:?}"),
        }
    }

    pub fn text(&self, name: &str) -> &str {
        match self.get(name) {
            Value::Text(s) => s,
            v => panic!("{name} is not text: {v:?}"),
        }
    }

    pub fn addresses(&self, name: &str) -> &[IpAddr] {
        match self.get(name) {
            Value::Addresses(a) => a,
            v => panic!("{name} is not an address list: {v:?}"),
        }
    }

    pub fn address(&self, name: &str) -> Option<IpAddr> {
        match self.get(name) {
            Value::Address(a) => *a,
            v => panic!("{name} is not an address: {v:?}"),
        }
    }

    /// Applies config text (`file` names it in errors). A key set twice in
    /// the same text is an error: the admin meant one of them.
    pub fn apply_text(&mut self, keys: &'static [Key], file: &str, text: &str) -> Result<(), ConfigError> {
        let mut seen: HashMap<&'static str, usize> = HashMap::new();
        for (idx, raw) in text.lines().enumerate() {
            let line_no = idx + 1;
            let Some((name, value)) = split_line(raw).map_err(|m| ConfigError::new(file, Some(line_no), None, m))?
            else {
                continue;
            };
            let key = super::keys::find(keys, name)
                .ok_or_else(|| ConfigError::new(file, Some(line_no), Some(name), "unknown key"))?;
            if let Some(first) = seen.insert(key.name, line_no) {
                return Err(ConfigError::new(
                    file,
                    Some(line_no),
                    Some(name),
                    format!("set twice (first on line {first})"),
                ));
            }
            self.set(key, value).map_err(|m| ConfigError::new(file, Some(line_no), Some(name), m))?;
        }
        Ok(())
    }

    /// Applies one `KEY=VALUE` command-line override (`-o`).
    pub fn apply_override(&mut self, keys: &'static [Key], arg: &str) -> Result<(), ConfigError> {
        let (name, value) = match split_line(arg) {
            Ok(Some(kv)) => kv,
            _ => {
                return Err(ConfigError::new("-o", None, None, format!("'{arg}' is not KEY=VALUE")));
            }
        };
        let key =
            super::keys::find(keys, name).ok_or_else(|| ConfigError::new("-o", None, Some(name), "unknown key"))?;
        self.set(key, value).map_err(|m| ConfigError::new("-o", None, Some(name), m))
    }

    fn set(&mut self, key: &'static Key, raw: &str) -> Result<(), String> {
        let value = check_value(key, raw)?;
        self.map.insert(key.name, value);
        Ok(())
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
pub fn check_value(key: &Key, raw: &str) -> Result<Value, String> {
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
    use crate::config::keys::FTP_KEYS;

    fn apply(text: &str) -> Result<Values, ConfigError> {
        let mut v = Values::defaults(FTP_KEYS);
        v.apply_text(FTP_KEYS, "/etc/rftpd.conf", text).map(|()| v)
    }

    #[test]
    fn every_default_is_valid() {
        let v = Values::defaults(FTP_KEYS);
        assert_eq!(v.number("listen_port"), 21);
        assert!(!v.bool("anonymous_enable"));
        assert_eq!(v.number("local_umask"), 0o077);
    }

    #[test]
    fn comments_blank_lines_and_booleans() {
        let v = apply("# comment\n\n  anonymous_enable = yes\nwrite_enable=NO\nhide_ids=True\n").unwrap();
        assert!(v.bool("anonymous_enable"));
        assert!(!v.bool("write_enable"));
        assert!(v.bool("hide_ids"));
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
    fn duplicate_key_is_an_error() {
        let e = apply("listen_port=1\nlisten_port=2\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("first on line 1"));
    }

    #[test]
    fn addresses_octal_and_paths() {
        let v = apply("listen_address=127.0.0.1, ::1\nlocal_umask=022\nanon_root=/srv/ftp\npasv_address=[10.0.0.1]")
            .unwrap();
        assert_eq!(v.addresses("listen_address").len(), 2);
        assert_eq!(v.number("local_umask"), 0o22);
        assert_eq!(v.address("pasv_address"), Some("10.0.0.1".parse().unwrap()));
        assert!(apply("anon_root=relative/path").is_err());
        assert!(apply("local_umask=0999").is_err());
        assert!(apply("listen_address=localhost").is_err());
    }

    #[test]
    fn override_uses_dash_o_as_file() {
        let mut v = Values::defaults(FTP_KEYS);
        v.apply_override(FTP_KEYS, "listen_port=2121").unwrap();
        assert_eq!(v.number("listen_port"), 2121);
        let e = v.apply_override(FTP_KEYS, "listen_port").unwrap_err();
        assert_eq!(e.file, "-o");
    }
}
