//! rftpd: command line → config → listeners → the master loop.
//! Exit codes: 0 done, 1 runtime failure, 2 bad usage or config.

use rftpd::cli::{self, Invocation, LogTo, ServeMode};
use rftpd::config::{Config, Source};
use rftpd::ftp::sessions::Registry;
use rftpd::ftp::{self, Server};
use rftpd::log as rlog;
use rftpd::{admin, daemon, sys};
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    sys::tune_allocator();
    rftpd::metrics_started();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let invocation = match cli::parse(&args) {
        Ok(i) => i,
        Err(e) => return fail(2, &e.to_string()),
    };
    match invocation {
        Invocation::Help(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Invocation::Version => {
            println!("rftpd {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Invocation::Passwd { file, home, perm, name } => {
            match admin::passwd(&file, home.as_deref(), perm.as_deref(), &name) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(1, &e.to_string()),
            }
        }
        Invocation::Demo { dir, overrides } => match admin::demo(&dir, &overrides) {
            Ok(demo) => {
                eprintln!("{}", demo.banner);
                serve(&Source { file: None, overrides: demo.overrides }, ServeMode::Daemon, LogTo::Stderr)
            }
            Err(e) => fail(1, &e.to_string()),
        },
        Invocation::Serve { config, mode, log_to } => serve(&config, mode, log_to),
        Invocation::Who { config, json } => ask(&config, if json { "who json" } else { "who" }),
        Invocation::Kick { config, id } => ask(&config, &format!("kick {id}")),
    }
}

/// `rftpd who` / `rftpd kick`: asks the running daemon through its control socket.
fn ask(source: &Source, request: &str) -> ExitCode {
    let config = match Config::load(source) {
        Ok(c) => c,
        Err(e) => return fail(2, &e.to_string()),
    };
    if config.control_socket.is_empty() {
        return fail(2, "control_socket is empty: the daemon has no control socket");
    }
    match ftp::admin_socket::ask(&config.control_socket, request) {
        Ok(answer) => {
            print!("{answer}");
            if answer.starts_with("error") || answer.starts_with("refused") {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => fail(1, &format!("control socket {e}")),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("rftpd: {message}");
    ExitCode::from(code)
}

/// Why rftpd could not start or stopped: a bad configuration (exit 2) or a
/// failure at run time (exit 1).
enum Stop {
    Config(String),
    Runtime(String),
}

impl Stop {
    fn exit(self) -> ExitCode {
        match self {
            Stop::Config(m) => fail(2, &m),
            Stop::Runtime(m) => fail(1, &m),
        }
    }
}

fn runtime(e: impl std::fmt::Display) -> Stop {
    Stop::Runtime(e.to_string())
}

fn serve(source: &Source, mode: ServeMode, log_to: LogTo) -> ExitCode {
    match try_serve(source, mode, log_to) {
        Ok(()) => ExitCode::SUCCESS,
        Err(stop) => stop.exit(),
    }
}

fn try_serve(source: &Source, mode: ServeMode, log_to: LogTo) -> Result<(), Stop> {
    let checked = match ftp::check(source) {
        Ok(c) => c,
        Err(errors) => {
            let n = errors.0.len();
            return Err(Stop::Config(format!("{errors}\n{n} error(s) in the configuration")));
        }
    };
    if mode == ServeMode::CheckConfig {
        for note in &checked.notes {
            println!("note: {note}");
        }
        println!("rftpd: configuration OK");
        return Ok(());
    }
    let ftp::Checked { config, values, prepared, notes } = checked;
    let log_to = if config.syslog_enable && log_to == LogTo::Configured { LogTo::Syslog } else { log_to };
    let server_log =
        rlog::start(&config.log_file, config.log_level, config.log_format, mode, log_to).map_err(runtime)?;
    for note in notes {
        log::info!("config note: {note}");
    }
    sys::fs::openat2_available()
        .map_err(|e| runtime(format!("openat2(2) is not available ({e}); rftpd needs Linux 5.6 or later")))?;
    match sys::raise_fd_limit() {
        Ok(n) if (n as usize) < config.max_clients + 64 => {
            log::warn!("open-file limit {n} is below what max_clients={} may need", config.max_clients)
        }
        Ok(_) => {}
        Err(e) => log::warn!("cannot raise the open-file limit: {e}"),
    }
    // Modes are computed from the config's umasks; the process umask (shared by all threads) stays out of it.
    nix::sys::stat::umask(nix::sys::stat::Mode::empty());
    daemon::log_panics();
    let server = Arc::new(Server::new(config, values, Arc::new(Registry::default()), prepared).map_err(runtime)?);
    let config = server.config.clone();
    if mode == ServeMode::Inetd {
        drop_privileges(&config).map_err(runtime)?;
        let stream = sys::net::stdin_stream()
            .map_err(|e| runtime(format!("--inetd: standard input is not a TCP socket: {e}")))?;
        return ftp::serve_inetd(stream, server, server_log).map_err(runtime);
    }
    // systemd socket activation hands listeners over; otherwise bind our own.
    let listeners = match sys::systemd::listen_fds().map_err(|e| runtime(format!("LISTEN_FDS: {e}")))? {
        l if !l.is_empty() => l,
        _ => ftp::bind_all(&config).map_err(runtime)?,
    };
    let _pid_file = daemon::pidfile::PidFile::create(&config.pid_file).map_err(runtime)?;
    drop_privileges(&config).map_err(runtime)?;
    ftp::run(source.clone(), server, listeners, server_log).map_err(runtime)
}

/// Once the listeners and log files are open, and before any other thread
/// exists: become nopriv_user (if set) and keep only the capabilities the
/// configured logins need. A reload cannot add capabilities back.
fn drop_privileges(config: &Config) -> Result<(), sys::privs::PrivilegeError> {
    let keep = needed_capabilities(config);
    let what = match config.nopriv_user.as_str() {
        "" => sys::privs::keep_only(keep)?,
        user => sys::privs::drop_to("nopriv_user", user, keep)?,
    };
    log::info!("{what}");
    Ok(())
}

/// What the sessions of `config` need from root (see SECURITY.md):
/// CAP_SETUID/CAP_SETGID to run sessions as accounts, CAP_DAC_READ_SEARCH to
/// read /etc/shadow, CAP_CHOWN for chown_uploads, CAP_NET_BIND_SERVICE for
/// active connections from port 20.
fn needed_capabilities(config: &Config) -> sys::creds::CapSet {
    use sys::creds::CapSet;
    let mut keep = CapSet::empty();
    if config.local_enable || !config.ftp_username.is_empty() || !config.guest_username.is_empty() {
        keep = keep.union(CapSet::SETUID).union(CapSet::SETGID);
    }
    if config.local_enable {
        keep = keep.union(CapSet::DAC_READ_SEARCH);
    }
    if config.chown_uploads {
        keep = keep.union(CapSet::CHOWN);
    }
    if config.connect_from_port_20 {
        keep = keep.union(CapSet::NET_BIND_SERVICE);
    }
    keep
}
