//! rtftpd: TFTP (RFC 1350 with the options of RFC 2347, 2348, 2349 and 7440)
//! beside rftpd, sharing its config parser, jail, logging and signals.
//!
//! ```text
//!  bin/rtftpd.rs ── config ──► service::run: the daemon core's master thread
//!                                 │ receives requests on port 69, hands each to
//!                                 │ a worker (at most max_transfers) or answers
//!                                 │ ERROR 0 "server busy"
//!                                 ▼
//!                             worker: a new socket (the transfer's TID),
//!                             options negotiated, window::send / receive
//!                             through the Jail rooted at tftp_root
//! ```
//! `packet` and `options` and `netascii` are pure; `window` moves blocks.

pub mod config;
pub(crate) mod netascii;
pub(crate) mod options;
pub(crate) mod packet;
pub mod service;
pub(crate) mod window;
