//! Integration tests against the real rftpd binary (one test binary, as
//! ripgrep does). Each test starts its own server on a loopback port.

mod abuse;
mod accounts;
mod cli;
mod commands;
mod data;
mod features;
pub(crate) mod ftps;
mod hardening;
mod interop;
mod jail;
mod listing;
mod login;
mod metrics;
mod ops;
mod proxy;
mod support;
mod tftp;
mod transfer;
mod vsftpd;
