//! The only module tree allowed `unsafe`: thin, safe wrappers around the
//! system calls rftpd makes beyond what `std` offers.
//!
//! Syscalls made here: `openat2`, `renameat`, `mkdirat`, `unlinkat`, `fstatat`,
//! `readlinkat`, `fchmodat`, `utimensat` ([`fs`]); `socket`, `bind`, `connect`,
//! `setsockopt`, `poll` ([`net`]); `sendfile` ([`fs`]); `localtime_r`
//! ([`time`]); wtmp records ([`utmp`]); `prctl(PR_SET_NAME)`; libxcrypt's `crypt_rn` ([`crypt`]); per-thread `capget`,
//! `capset`, `setgroups`, `setfsuid`, `setfsgid` ([`creds`]); libpam's
//! `pam_start`, `pam_authenticate`, `pam_acct_mgmt`, `pam_end` ([`pam`],
//! with the `pam` feature).
//! Each `unsafe` block carries a `SAFETY:` note.

pub mod creds;
pub(crate) mod crypt;
pub mod fs;
pub mod net;
#[cfg(feature = "pam")]
pub(crate) mod pam;
pub mod privs;
pub mod systemd;
pub(crate) mod time;
pub(crate) mod utmp;

use std::io;

/// Names the calling thread (ps -L, top -H show it): at most 15 bytes are kept.
pub(crate) fn set_thread_name(name: &str) {
    let mut bytes: Vec<u8> = name.bytes().filter(|b| *b != 0).take(15).collect();
    while std::str::from_utf8(&bytes).is_err() {
        bytes.pop();
    }
    if let Ok(c) = std::ffi::CString::new(bytes) {
        let _ = nix::sys::prctl::set_name(&c);
    }
}

/// Fixed allocator thresholds, set once at start: buffers of 256 KiB and
/// more (listings, copy buffers) get their own mapping, returned on free,
/// and a thread arena's free top above 1 MiB is given back. glibc's
/// default raises both thresholds after a large free, and then what idle
/// worker threads' arenas hold stays resident (hundreds of MB after big
/// listings).
pub fn tune_allocator() {
    // SAFETY: mallopt only sets allocator parameters; called at start-up.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 10);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20);
    }
}

/// Gives the allocator's free memory back to the kernel (glibc keeps what
/// freed threads used in per-thread arenas; malloc_trim(0) releases the
/// free pages of every arena).
pub(crate) fn release_free_memory() {
    // SAFETY: malloc_trim only walks the allocator's own free lists; it
    // takes no pointer and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Turns a nix error into an `io::Error` with the same errno.
pub(crate) fn io_err(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// Raises the soft limit on open descriptors to the hard limit, so sessions
/// (one socket and, per distinct root, one directory fd each) are bounded by
/// `max_clients` rather than by a default soft limit of 1024. Returns the limit.
pub fn raise_fd_limit() -> io::Result<u64> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(io_err)?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).map_err(io_err)?;
    }
    Ok(hard)
}
