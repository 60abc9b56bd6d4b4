//! rtftpd: command line → config → request sockets → the TFTP server loop.
//! Exit codes: 0 done, 1 runtime failure, 2 bad usage or config.

use rftpd::cli::{self, Invocation, ServeMode};
use rftpd::log as rlog;
use rftpd::tftp::config::TftpConfig;
use rftpd::tftp::service::{self, Lifetime};
use std::process::ExitCode;
use std::sync::Arc;

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("rtftpd: {message}");
    ExitCode::from(code)
}

fn main() -> ExitCode {
    rftpd::sys::tune_allocator();
    rftpd::metrics_started();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (source, mode, log_to) = match cli::parse_tftp(&args) {
        Ok(Invocation::Serve { config, mode, log_to }) => (config, mode, log_to),
        Ok(Invocation::Help(text)) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Version) => {
            println!("rtftpd {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(_) => return fail(2, "unexpected invocation"),
        Err(e) => return fail(2, &e.to_string()),
    };
    let (config, notes) = match TftpConfig::check(&source) {
        Ok((c, notes)) => (Arc::new(c), notes),
        Err(e) => return fail(2, &format!("{e}\n{} error(s) in the configuration", e.0.len())),
    };
    if mode == ServeMode::CheckConfig {
        for note in &notes {
            println!("note: {note}");
        }
        println!("rtftpd: configuration OK");
        return ExitCode::SUCCESS;
    }
    let log = match rlog::start(&config.log_file, config.log_level, config.log_format, mode, log_to) {
        Ok(f) => f,
        Err(e) => return fail(1, &e.to_string()),
    };
    if let Err(e) = rftpd::sys::fs::openat2_available() {
        return fail(1, &format!("openat2(2) is not available ({e}); rtftpd needs Linux 5.6 or later"));
    }
    // inetd (UDP wait): the bound socket is standard input. systemd socket
    // activation: LISTEN_FDS. Otherwise bind our own.
    let inetd = mode == ServeMode::Inetd;
    let sockets = if inetd {
        match rftpd::sys::net::stdin_datagram() {
            Ok(s) => vec![s],
            Err(e) => return fail(1, &format!("--inetd: standard input is not a UDP socket: {e}")),
        }
    } else {
        match rftpd::sys::systemd::datagram_fds() {
            Ok(s) if !s.is_empty() => s,
            Ok(_) => match service::bind_all(&config) {
                Ok(s) => s,
                Err(e) => return fail(1, &e.to_string()),
            },
            Err(e) => return fail(1, &format!("LISTEN_FDS: {e}")),
        }
    };
    let pid_file = if inetd { Ok(None) } else { rftpd::daemon::pidfile::PidFile::create(&config.pid_file) };
    let _pid_file = match pid_file {
        Ok(p) => p,
        Err(e) => return fail(1, &e.to_string()),
    };
    // Before any thread exists: nothing after binding needs root.
    let none = rftpd::sys::creds::CapSet::empty();
    let dropped = match config.tftp_username.as_str() {
        "" => rftpd::sys::privs::keep_only(none),
        user => rftpd::sys::privs::drop_to("tftp_username", user, none),
    };
    match dropped {
        Ok(what) => log::info!("{what}"),
        Err(e) => return fail(1, &e.to_string()),
    }
    rftpd::daemon::log_panics();
    let lifetime = if inetd { Lifetime::Inetd } else { Lifetime::Daemon };
    match service::run(config, sockets, log, lifetime) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, &e.to_string()),
    }
}
