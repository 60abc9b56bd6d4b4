//! rftpd: an FTP server for Linux built as a master thread, a bounded pool of
//! worker threads and one helper thread per running transfer.
//!
//! # Architecture in one screen
//!
//! ```text
//!  main.rs ── cli ── config::load ──► ftp::run ──► daemon::run (the core, no protocol)
//!                                        │ master thread: poll listeners + signals;
//!                                        │ ftp::admit counts per IP (a balancer's
//!                                        │ connections after their PROXY header),
//!                                        │ hands each socket to an idle worker or 421
//!                                        ▼
//!                                    daemon::pool (crossbeam rendezvous channel)
//!                                        │ worker thread
//!                                        ▼
//!                                    ftp::session ── prelogin (no jail) / postlogin
//!                                        │              │
//!                                        │              └─► jail (openat2 RESOLVE_IN_ROOT)
//!                                        ▼
//!                                    ftp::helper transfer thread (sendfile / copy loop)
//!
//!  bin/rtftpd.rs ──► tftp::service::run ──► daemon::run, the same core and pool
//! ```
//!
//! Layers, each using only those below it: `sys` → `limits`, `config`,
//! `ascii`, `proxy` → `jail`, `auth`, `log`, `tls`, `metrics` → `daemon` →
//! `ftp`, `tftp`.
//!
//! # Where is X
//! - every path a client names: [`jail`] (nothing else takes client text to the kernel)
//! - every `unsafe` block and raw syscall: [`sys`]
//! - every config key, its default and its doc: [`config::keys`]
//! - reply codes: [`ftp::reply::ReplyCode`]; failures and their one mapping to
//!   replies: [`ftp::error::FtpError::reply`]; handlers in [`ftp::prelogin`]
//!   (before login) and [`ftp::postlogin`]
//! - numeric bounds (line length, listing size, …): [`limits`]; per-address
//!   limits: [`daemon::admission`] and `ftp::admit`
//! - the PROXY protocol: [`proxy`]; Prometheus metrics: `metrics`; `rftpd
//!   who`/`kick`: [`ftp::admin_socket`] over `ftp::sessions`
//! - FTPS: certificates and per-session TLS configs in [`tls`]; the control
//!   connection's TLS layer in [`ftp::control`], the data connection's in
//!   [`ftp::helper`]
#![deny(unsafe_code)]

/// Declares an error type that carries one line of text for the log or the
/// admin: Display, std::error::Error, and From a String or &str.
macro_rules! text_error {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub String);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::error::Error for $name {}

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }
    };
}
pub(crate) use text_error;

pub mod admin;
pub(crate) mod ascii;
pub(crate) mod auth;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod ftp;
pub mod jail;
pub mod limits;
pub mod log;
pub(crate) mod metrics;
pub mod proxy;
#[allow(unsafe_code)]
pub mod sys;
pub mod tftp;
pub mod tls;

/// Notes the process start time for the metrics endpoint (call first thing in main).
pub fn metrics_started() {
    metrics::started();
}
