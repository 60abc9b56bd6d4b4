//! rftpd: command line → config → listeners → the master loop.
//! Exit codes: 0 done, 1 runtime failure, 2 bad usage or config.

use rftpd::cli::{self, Invocation};
use rftpd::config::{Config, Source};
use rftpd::ftp::sessions::Registry;
use rftpd::ftp::{self, Server};
use rftpd::log as rlog;
use rftpd::{admin, daemon, sys};
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let invocation = match cli::parse(&args) {
        Ok(i) => i,
        Err(e) => return fail(2, &e),
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
                Err(e) => fail(1, &e),
            }
        }
        Invocation::Demo { dir, overrides } => match admin::demo(&dir, &overrides) {
            Ok(demo) => {
                eprintln!("{}", demo.banner);
                serve(&Source { file: None, overrides: demo.overrides }, false, false, true)
            }
            Err(e) => fail(1, &e),
        },
        Invocation::Serve { config, check_only, inetd, foreground } => serve(&config, check_only, inetd, foreground),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("rftpd: {message}");
    ExitCode::from(code)
}

fn serve(source: &Source, check_only: bool, inetd: bool, foreground: bool) -> ExitCode {
    let config = match Config::load(source) {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(2, &e.to_string()),
    };
    let tls = match ftp::preflight(&config) {
        Ok(tls) => tls,
        Err(e) => return fail(2, &e),
    };
    if check_only {
        println!("rftpd: configuration OK");
        return ExitCode::SUCCESS;
    }
    let server_log = match rlog::start(&config.log_file, config.log_level, inetd, foreground) {
        Ok(f) => f,
        Err(e) => return fail(1, &e),
    };
    if let Err(e) = sys::fs::openat2_available() {
        return fail(1, &format!("openat2(2) is not available ({e}); rftpd needs Linux 5.6 or later"));
    }
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
    let server = match Server::new(config.clone(), Arc::new(Registry::default()), tls) {
        Ok(s) => Arc::new(s),
        Err(e) => return fail(1, &e),
    };
    if inetd {
        if let Err(e) = drop_privileges(&config) {
            return fail(1, &e);
        }
        return match sys::net::stdin_stream() {
            Ok(stream) => {
                ftp::serve(stream, 1, &server);
                ExitCode::SUCCESS
            }
            Err(e) => fail(1, &format!("--inetd: standard input is not a TCP socket: {e}")),
        };
    }
    // systemd socket activation hands listeners over; otherwise bind our own.
    let listeners = match sys::systemd::listen_fds() {
        Ok(l) if !l.is_empty() => l,
        Ok(_) => match ftp::bind_all(&config) {
            Ok(l) => l,
            Err(e) => return fail(1, &e.to_string()),
        },
        Err(e) => return fail(1, &format!("LISTEN_FDS: {e}")),
    };
    if let Err(e) = drop_privileges(&config) {
        return fail(1, &e);
    }
    match ftp::run(source.clone(), server, listeners, server_log) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, &e.to_string()),
    }
}

/// Once the listeners and log files are open, and before any other thread
/// exists: become nopriv_user (if set) and keep only the capabilities the
/// configured logins need. A reload cannot add capabilities back.
fn drop_privileges(config: &Config) -> Result<(), String> {
    let keep = needed_capabilities(config);
    let what = match config.nopriv_user.as_str() {
        "" => sys::privs::keep_only(keep)?,
        user => sys::privs::drop_to(user, keep)?,
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
