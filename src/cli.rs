//! The command line (a stable interface: scripts depend on it).
//!
//! ```text
//! rftpd [-c FILE] [-o KEY=VALUE]... [--check-config] [--inetd] [-f] [-V] [-h]
//! rftpd passwd [-f FILE] [-d HOME] [-p PERMS] NAME
//! rftpd demo [-o KEY=VALUE]... [DIR]
//! rftpd who [-c FILE] [-o KEY=VALUE]... [--json]
//! rftpd kick [-c FILE] [-o KEY=VALUE]... ID
//! ```

use getopts::Options;

pub const DEFAULT_CONFIG: &str = "/etc/rftpd/rftpd.conf";
pub const DEFAULT_TFTP_CONFIG: &str = "/etc/rftpd/rtftpd.conf";
pub const DEFAULT_USERS: &str = "/etc/rftpd/rftpd.users";

crate::text_error! {
    /// A bad command line, with the usage text where it helps.
    UsageError
}

/// What a daemon invocation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeMode {
    /// Listen (or take systemd's sockets) and serve until stopped.
    Daemon,
    /// Serve what inetd passed on standard input (`--inetd`).
    Inetd,
    /// Check the configuration and exit (`--check-config`).
    CheckConfig,
}

/// Where the server log goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTo {
    /// `log_file` (standard error when it is empty or under systemd).
    Configured,
    /// Standard error (`-f`).
    Stderr,
    /// syslog (the syslog_enable key; never chosen on the command line).
    Syslog,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    Serve {
        config: crate::config::Source,
        mode: ServeMode,
        log_to: LogTo,
    },
    Passwd {
        file: String,
        home: Option<String>,
        perm: Option<String>,
        name: String,
    },
    Demo {
        dir: String,
        overrides: Vec<String>,
    },
    /// `rftpd who`: the sessions of the running daemon (its control_socket).
    Who {
        config: crate::config::Source,
        json: bool,
    },
    /// `rftpd kick ID`: ends a session with 421.
    Kick {
        config: crate::config::Source,
        id: u64,
    },
    Version,
    Help(String),
}

fn serve_options(default_config: &str) -> Options {
    let mut o = Options::new();
    o.optopt("c", "config", &format!("config file (default {default_config}; /dev/null for none)"), "FILE");
    o.optmulti("o", "option", "set a config key, overriding the file (repeatable)", "KEY=VALUE");
    o.optflag("", "check-config", "check the config and users file, then exit");
    o.optflag("", "inetd", "serve one session on standard input (inetd, systemd Accept=yes)");
    o.optflag("f", "foreground", "log to standard error instead of log_file (as under systemd)");
    o.optflag("V", "version", "print the version");
    o.optflag("h", "help", "print this help");
    o
}

fn usage() -> String {
    let brief = "Usage: rftpd [-c FILE] [-o KEY=VALUE]... [--check-config] [--inetd] [-f] [-V] [-h]\n       \
                 rftpd passwd [-f FILE] [-d HOME] [-p PERMS] NAME\n       \
                 rftpd demo [-o KEY=VALUE]... [DIR]\n       \
                 rftpd who [-c FILE] [-o KEY=VALUE]... [--json]\n       \
                 rftpd kick [-c FILE] [-o KEY=VALUE]... ID";
    serve_options(DEFAULT_CONFIG).usage(brief)
}

/// Parses rftpd's arguments (after the program name).
pub fn parse(args: &[String]) -> Result<Invocation, UsageError> {
    match args.first().map(String::as_str) {
        Some("passwd") => parse_passwd(&args[1..]),
        Some("demo") => parse_demo(&args[1..]),
        Some("who") => parse_admin(&args[1..], false),
        Some("kick") => parse_admin(&args[1..], true),
        _ => parse_daemon(args, DEFAULT_CONFIG, &usage()),
    }
}

/// Parses rtftpd's arguments: the daemon options alone.
pub fn parse_tftp(args: &[String]) -> Result<Invocation, UsageError> {
    let brief = "Usage: rtftpd [-c FILE] [-o KEY=VALUE]... [--check-config] [--inetd] [-f] [-V] [-h]";
    parse_daemon(args, DEFAULT_TFTP_CONFIG, &serve_options(DEFAULT_TFTP_CONFIG).usage(brief))
}

/// The options both daemons share.
fn parse_daemon(args: &[String], default_config: &str, usage: &str) -> Result<Invocation, UsageError> {
    let m = serve_options(default_config).parse(args).map_err(|e| UsageError(format!("{e}\n\n{usage}")))?;
    if m.opt_present("h") {
        return Ok(Invocation::Help(usage.to_owned()));
    }
    if m.opt_present("V") {
        return Ok(Invocation::Version);
    }
    if !m.free.is_empty() {
        return Err(UsageError(format!("unexpected argument '{}'\n\n{usage}", m.free[0])));
    }
    let file = m.opt_str("c").unwrap_or_else(|| default_config.into());
    let file = (file != "/dev/null").then_some(file);
    let mode = match (m.opt_present("check-config"), m.opt_present("inetd")) {
        (true, _) => ServeMode::CheckConfig,
        (false, true) => ServeMode::Inetd,
        (false, false) => ServeMode::Daemon,
    };
    let log_to = if m.opt_present("f") { LogTo::Stderr } else { LogTo::Configured };
    Ok(Invocation::Serve { config: crate::config::Source { file, overrides: m.opt_strs("o") }, mode, log_to })
}

fn parse_passwd(args: &[String]) -> Result<Invocation, UsageError> {
    let mut o = Options::new();
    o.optopt("f", "file", &format!("users file (default {DEFAULT_USERS})"), "FILE");
    o.optopt("d", "home", "home directory (required for a new user)", "HOME");
    o.optopt("p", "perm", "ro, rw, or a list such as rw,-delete", "PERM");
    let m = o.parse(args).map_err(|e| UsageError(e.to_string()))?;
    let [name] = &m.free[..] else {
        return Err("usage: rftpd passwd [-f FILE] [-d HOME] [-p PERMS] NAME".into());
    };
    let perm = m.opt_str("p");
    if let Some(p) = perm.as_deref() {
        crate::auth::Permissions::parse(p).map_err(|e| UsageError(format!("-p: {e}")))?;
    }
    Ok(Invocation::Passwd {
        file: m.opt_str("f").unwrap_or_else(|| DEFAULT_USERS.into()),
        home: m.opt_str("d"),
        perm,
        name: name.clone(),
    })
}

/// `who` and `kick`: the config names the daemon's control_socket.
fn parse_admin(args: &[String], kick: bool) -> Result<Invocation, UsageError> {
    let mut o = Options::new();
    o.optopt("c", "config", &format!("config file (default {DEFAULT_CONFIG})"), "FILE");
    o.optmulti("o", "option", "set a config key", "KEY=VALUE");
    o.optflag("", "json", "one JSON array");
    let m = o.parse(args).map_err(|e| UsageError(e.to_string()))?;
    let config = crate::config::Source {
        file: Some(m.opt_str("c").unwrap_or_else(|| DEFAULT_CONFIG.into())),
        overrides: m.opt_strs("o"),
    };
    if !kick {
        return match &m.free[..] {
            [] => Ok(Invocation::Who { config, json: m.opt_present("json") }),
            _ => Err("usage: rftpd who [-c FILE] [-o KEY=VALUE]... [--json]".into()),
        };
    }
    match &m.free[..] {
        [id] => {
            let id = id.parse().map_err(|_| UsageError(format!("kick: '{id}' is not a session id")))?;
            Ok(Invocation::Kick { config, id })
        }
        _ => Err("usage: rftpd kick [-c FILE] [-o KEY=VALUE]... ID".into()),
    }
}

fn parse_demo(args: &[String]) -> Result<Invocation, UsageError> {
    let mut o = Options::new();
    o.optmulti("o", "option", "set a config key", "KEY=VALUE");
    let m = o.parse(args).map_err(|e| UsageError(e.to_string()))?;
    let dir = m.free.first().cloned().unwrap_or_else(|| "rftpd-demo".into());
    Ok(Invocation::Demo { dir, overrides: m.opt_strs("o") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn serve_flags() {
        let inv = parse(&args("-c /dev/null -o listen_port=2121 -o anonymous_enable=YES --check-config")).unwrap();
        let Invocation::Serve { config, mode, log_to } = inv else { panic!() };
        assert_eq!(log_to, LogTo::Configured);
        assert_eq!(config.file, None);
        assert_eq!(config.overrides, vec!["listen_port=2121", "anonymous_enable=YES"]);
        assert_eq!(mode, ServeMode::CheckConfig);
        assert!(matches!(
            parse(&args("--inetd -f")),
            Ok(Invocation::Serve { mode: ServeMode::Inetd, log_to: LogTo::Stderr, .. })
        ));
        assert!(parse(&args("--bogus")).is_err());
        assert_eq!(parse(&args("-V")).unwrap(), Invocation::Version);
    }

    #[test]
    fn passwd_subcommand() {
        let inv = parse(&args("passwd -f /tmp/u -d /srv/a -p rw alice")).unwrap();
        assert_eq!(
            inv,
            Invocation::Passwd {
                file: "/tmp/u".into(),
                home: Some("/srv/a".into()),
                perm: Some("rw".into()),
                name: "alice".into()
            }
        );
        assert!(parse(&args("passwd -p admin alice")).is_err());
        assert!(parse(&args("passwd")).is_err());
    }
}
