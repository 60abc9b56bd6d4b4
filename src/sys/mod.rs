//! The only module tree allowed `unsafe`: thin, safe wrappers around the
//! system calls rftpd makes beyond what `std` offers.
//!
//! Syscalls made here: `openat2`, `renameat`, `mkdirat`, `unlinkat`, `fstatat`,
//! `readlinkat`, `fchmodat`, `utimensat` ([`fs`]); `socket`, `bind`, `connect`,
//! `setsockopt`, `poll` ([`net`]); `sendfile` ([`fs`]); `localtime_r`
//! ([`time`]); libxcrypt's `crypt_rn` ([`crypt`]).
//! Each `unsafe` block carries a `SAFETY:` note.

pub mod crypt;
pub mod fs;
pub mod net;
pub mod systemd;
pub mod time;

use std::io;

/// Turns a nix error into an `io::Error` with the same errno.
pub fn io_err(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}
