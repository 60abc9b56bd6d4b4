//! rftpd: an FTP server for Linux built as a master thread, a bounded pool of
//! worker threads and one helper thread per running transfer.
//!
//! # Architecture in one screen
//!
//! ```text
//!  main.rs ── cli ── config::load ──► server::run
//!                                        │ master thread: poll listeners, count per IP,
//!                                        │ hand each socket to an idle worker or answer 421
//!                                        ▼
//!                                    server::pool (crossbeam rendezvous channel)
//!                                        │ worker thread
//!                                        ▼
//!                                    ftp::serve ── ftp::session (prelogin / handlers)
//!                                        │              │
//!                                        │              └─► jail (openat2 RESOLVE_IN_ROOT)
//!                                        ▼
//!                                    ftp::transfer helper thread (sendfile / copy loop)
//! ```
//!
//! # Where is X
//! - every path a client names: [`jail`] (nothing else takes client text to the kernel)
//! - every `unsafe` block and raw syscall: [`sys`]
//! - every config key, its default and its doc: [`config::keys`]
//! - reply codes and texts: [`ftp::reply`] and the handlers in [`ftp::handlers`]
//! - numeric bounds (line length, listing size, …): [`limits`]
//! - FTPS: certificates and per-session TLS configs in [`tls`]; the control
//!   connection's TLS layer in [`ftp::control`], the data connection's in
//!   [`ftp::transfer`]
#![deny(unsafe_code)]

pub mod admin;
pub mod auth;
pub mod cli;
pub mod config;
pub mod ftp;
pub mod jail;
pub mod limits;
pub mod log;
pub mod server;
#[allow(unsafe_code)]
pub mod sys;
pub mod tftp;
pub mod tls;
