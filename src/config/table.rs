//! How a config table is written once: [`config_table!`] turns one row per
//! key (field, type, kind, default, doc) into the typed struct, the key
//! table that the parser, `--check-config`, the sample file and the man
//! page read, and the conversion from parsed [`Values`] to the struct. A
//! field and its key share one name, so they cannot drift apart; a field
//! whose type does not fit its kind fails the defaults test of its table.

use super::NamePatterns;
use super::error::{ConfigError, ConfigErrors};
use super::parse::{Value, Values};
use std::net::IpAddr;
use std::time::Duration;

/// A field type a parsed [`Value`] converts into.
pub(crate) trait FromValue: Sized {
    fn from_value(v: &Value) -> Result<Self, String>;
}

fn mismatch(v: &Value, wanted: &str) -> String {
    format!("{v:?} does not convert to {wanted} (the key table and the field disagree)")
}

impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Bool(b) => Ok(*b),
            _ => Err(mismatch(v, "a bool")),
        }
    }
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &Value) -> Result<Self, String> {
                match v {
                    Value::Number(n) => <$t>::try_from(*n).map_err(|_| format!("{n} is too large")),
                    _ => Err(mismatch(v, stringify!($t))),
                }
            }
        }
    )*};
}
numbers!(u16, u32, u64, usize);

/// Numbers of seconds.
impl FromValue for Duration {
    fn from_value(v: &Value) -> Result<Self, String> {
        u64::from_value(v).map(Duration::from_secs)
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            _ => Err(mismatch(v, "text")),
        }
    }
}

impl FromValue for Vec<IpAddr> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Addresses(a) => Ok(a.clone()),
            _ => Err(mismatch(v, "an address list")),
        }
    }
}

/// `ADDRESS:PORT` (`[v6]:PORT` for IPv6); empty = none.
impl FromValue for Option<std::net::SocketAddr> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Text(t) if t.is_empty() => Ok(None),
            Value::Text(t) => {
                t.parse().map(Some).map_err(|_| format!("'{t}' is not ADDRESS:PORT (e.g. 127.0.0.1:9121, [::1]:9121)"))
            }
            _ => Err(mismatch(v, "an address and port")),
        }
    }
}

impl FromValue for Option<IpAddr> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Address(a) => Ok(*a),
            _ => Err(mismatch(v, "an address")),
        }
    }
}

impl FromValue for NamePatterns {
    fn from_value(v: &Value) -> Result<Self, String> {
        NamePatterns::parse(&String::from_value(v)?)
    }
}

impl FromValue for crate::proxy::Networks {
    fn from_value(v: &Value) -> Result<Self, String> {
        crate::proxy::Networks::parse(&String::from_value(v)?)
    }
}

impl FromValue for crate::config::LogFormat {
    fn from_value(v: &Value) -> Result<Self, String> {
        match String::from_value(v)?.as_str() {
            "text" => Ok(crate::config::LogFormat::Text),
            "json" => Ok(crate::config::LogFormat::Json),
            other => Err(format!("'{other}' is not text or json")),
        }
    }
}

impl FromValue for log::LevelFilter {
    fn from_value(v: &Value) -> Result<Self, String> {
        let text = String::from_value(v)?;
        text.parse().map_err(|_| format!("'{text}' is not one of off, error, warn, info, debug, trace"))
    }
}

/// Converts one key's value, recording a failure (with where the value was
/// set) in `errors`.
pub(crate) fn convert<T: FromValue>(values: &Values, name: &'static str, errors: &mut ConfigErrors) -> Option<T> {
    match T::from_value(values.get(name)) {
        Ok(v) => Some(v),
        Err(message) => {
            errors.push(values.error(name, message));
            None
        }
    }
}

/// An error about `key` at the place its value came from.
pub(crate) fn at(values: &Values, key: &'static str, message: impl Into<String>) -> ConfigError {
    values.error(key, message.into())
}

/// Defines a config struct and its key table from one row per key:
///
/// ```text
/// config_table! {
///     /// Doc of the struct.
///     pub struct Config, keys FTP_KEYS {
///         listen_port: u16 = PORT, "21", "Control connection port.";
///     }
///     accepted {
///         "secure_chroot_dir" = Kind::Path, "/usr/share/empty", "why it changes nothing";
///     }
/// }
/// ```
///
/// Rows under `accepted` are keys rftpd takes for compatibility and
/// ignores (with the reason); they have no field.
macro_rules! config_table {
    (
        $(#[$meta:meta])*
        pub(crate) struct $name:ident, keys $table:ident {
            $( $field:ident : $ty:ty = $kind:expr, $default:literal, $doc:literal; )*
        }
        accepted {
            $( $noop:literal = $nkind:expr, $ndefault:literal, $reason:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name {
            $( #[doc = $doc] pub $field: $ty, )*
        }

        /// The keys, in the order the sample file and the man page list them.
        pub const $table: &[$crate::config::keys::Key] = &[
            $( $crate::config::keys::Key::new(stringify!($field), $kind, $default, $doc), )*
            $( $crate::config::keys::Key::accepted($noop, $nkind, $ndefault, $reason), )*
        ];

        impl $name {
            /// Every field from its key's value; every failure is reported.
            fn convert_all(
                v: &$crate::config::parse::Values,
            ) -> Result<$name, $crate::config::error::ConfigErrors> {
                let mut errors = $crate::config::error::ConfigErrors::default();
                $( let $field: Option<$ty> = $crate::config::table::convert(v, stringify!($field), &mut errors); )*
                match ($( $field, )*) {
                    ($( Some($field), )*) => Ok($name { $( $field, )* }),
                    _ => Err(errors),
                }
            }
        }
    };
}
pub(crate) use config_table;
