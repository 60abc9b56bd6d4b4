//! File-system syscalls on directory fds: `openat2` with retry, and the
//! single-name `*at()` calls the jail uses. Never resolves a multi-component
//! path except through `openat2` with `RESOLVE_IN_ROOT`.

use super::io_err;
use crate::limits::OPENAT2_RETRIES;
use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{FileStat, Mode};
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// Opens `path` relative to `root` as if `root` were `/`: `..`, absolute paths
/// and symlinks can never leave it, and magic links (`/proc/self/fd/…`) are refused.
/// An empty path means the root itself (passed to the kernel as `.`).
pub(crate) fn open_in_root(root: BorrowedFd<'_>, path: &str, flags: OFlag, mode: u32) -> io::Result<OwnedFd> {
    let path = if path.is_empty() { "." } else { path };
    // openat2 refuses (EINVAL) any flag beside O_DIRECTORY/O_NOFOLLOW/O_CLOEXEC with O_PATH.
    let extra = if flags.contains(OFlag::O_PATH) { OFlag::O_CLOEXEC } else { OFlag::O_CLOEXEC | OFlag::O_NOCTTY };
    let how = OpenHow::new()
        .flags(flags | extra)
        .mode(Mode::from_bits_truncate(mode))
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let mut tries = 0;
    loop {
        match nix::fcntl::openat2(root, path, how) {
            // openat2(2): EAGAIN when a rename or mount raced with the lookup.
            Err(Errno::EAGAIN) if tries < OPENAT2_RETRIES => tries += 1,
            Err(e) => return Err(io_err(e)),
            Ok(fd) => return Ok(fd),
        }
    }
}

/// Checks at start-up that the kernel (≥ 5.6) and any seccomp filter allow `openat2`.
pub fn openat2_available() -> io::Result<()> {
    let dir = std::fs::File::open("/")?;
    open_in_root(dir.as_fd(), "", OFlag::O_PATH | OFlag::O_DIRECTORY, 0).map(drop)
}

/// `fstat` of an open fd (works on `O_PATH` fds).
pub(crate) fn fstat(fd: BorrowedFd<'_>) -> io::Result<FileStat> {
    nix::sys::stat::fstat(fd).map_err(io_err)
}

/// `lstat` of one name inside a directory fd (never follows the final symlink).
pub(crate) fn lstat_at(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<FileStat> {
    nix::sys::stat::fstatat(dir, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW).map_err(io_err)
}

pub(crate) fn mkdir_at(dir: BorrowedFd<'_>, name: &CStr, mode: u32) -> io::Result<()> {
    nix::sys::stat::mkdirat(dir, name, Mode::from_bits_truncate(mode)).map_err(io_err)
}

pub(crate) fn unlink_at(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    nix::unistd::unlinkat(dir, name, nix::unistd::UnlinkatFlags::NoRemoveDir).map_err(io_err)
}

pub(crate) fn rmdir_at(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    nix::unistd::unlinkat(dir, name, nix::unistd::UnlinkatFlags::RemoveDir).map_err(io_err)
}

/// Atomically replaces `to` with `from` (both single names in their directory fds).
pub(crate) fn rename_at(from_dir: BorrowedFd<'_>, from: &CStr, to_dir: BorrowedFd<'_>, to: &CStr) -> io::Result<()> {
    nix::fcntl::renameat(from_dir, from, to_dir, to).map_err(io_err)
}

/// Renames `from` to `to` only if `to` does not exist (EEXIST otherwise), in
/// one atomic step. Where the file system lacks RENAME_NOREPLACE (EINVAL),
/// a non-directory is linked to the new name (which fails if it exists) and
/// its old name removed.
pub(crate) fn rename_noreplace_at(
    from_dir: BorrowedFd<'_>,
    from: &CStr,
    to_dir: BorrowedFd<'_>,
    to: &CStr,
) -> io::Result<()> {
    use nix::fcntl::{AtFlags, RenameFlags};
    match nix::fcntl::renameat2(from_dir, from, to_dir, to, RenameFlags::RENAME_NOREPLACE) {
        Err(nix::errno::Errno::EINVAL) => {
            nix::unistd::linkat(from_dir, from, to_dir, to, AtFlags::empty()).map_err(io_err)?;
            unlink_at(from_dir, from)
        }
        r => r.map_err(io_err),
    }
}

/// An unnamed file in directory `dir` (O_TMPFILE): nothing to clean up if
/// the process dies. `None` where the file system does not support it.
pub(crate) fn open_unnamed(dir: BorrowedFd<'_>, mode: u32) -> io::Result<Option<OwnedFd>> {
    match open_in_root(dir, ".", OFlag::O_TMPFILE | OFlag::O_WRONLY, mode) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Gives an unnamed (O_TMPFILE) file the name `name` in `dir`; EEXIST if
/// the name exists. Through /proc/self/fd, which needs no capability
/// (AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH).
pub(crate) fn link_unnamed(file: BorrowedFd<'_>, dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    let source = proc_fd_path(file);
    nix::unistd::linkat(nix::fcntl::AT_FDCWD, source.as_str(), dir, name, nix::fcntl::AtFlags::AT_SYMLINK_FOLLOW)
        .map_err(io_err)
}

/// The names in directory `dir` (for sweeping stale temporary files).
pub(crate) fn names_in(dir: BorrowedFd<'_>) -> io::Result<Vec<std::ffi::OsString>> {
    use std::os::unix::ffi::OsStrExt;
    let mut d = nix::dir::Dir::openat(dir, ".", OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty())
        .map_err(io_err)?;
    Ok(d.iter()
        .filter_map(Result::ok)
        .map(|e| std::ffi::OsStr::from_bytes(e.file_name().to_bytes()).to_owned())
        .collect())
}

/// True when `fd` lies on procfs (fstatfs works on `O_PATH` fds too).
pub(crate) fn on_procfs(fd: BorrowedFd<'_>) -> bool {
    nix::sys::statfs::fstatfs(fd).is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::PROC_SUPER_MAGIC)
}

pub(crate) fn readlink_at(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<std::ffi::OsString> {
    nix::fcntl::readlinkat(dir, name).map_err(io_err)
}

/// The path naming an open fd through procfs, for calls that have no fd form
/// for `O_PATH` descriptors (chmod, utimes). The kernel resolves it to the very
/// inode the fd holds, so no name lookup can be raced.
fn proc_fd_path(fd: BorrowedFd<'_>) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

/// chmod of the inode an (`O_PATH`) fd refers to.
pub(crate) fn chmod_fd(fd: BorrowedFd<'_>, mode: u32) -> io::Result<()> {
    nix::sys::stat::fchmodat(
        nix::fcntl::AT_FDCWD,
        proc_fd_path(fd).as_str(),
        Mode::from_bits_truncate(mode),
        nix::sys::stat::FchmodatFlags::FollowSymlink,
    )
    .map_err(io_err)
}

/// Sets the modification time (seconds since the epoch) of the inode an fd refers to.
pub(crate) fn set_mtime_fd(fd: BorrowedFd<'_>, secs: i64) -> io::Result<()> {
    use nix::sys::time::TimeSpec;
    let omit = TimeSpec::UTIME_OMIT;
    let mtime = TimeSpec::new(secs, 0);
    nix::sys::stat::utimensat(
        nix::fcntl::AT_FDCWD,
        proc_fd_path(fd).as_str(),
        &omit,
        &mtime,
        nix::sys::stat::UtimensatFlags::FollowSymlink,
    )
    .map_err(io_err)
}

/// Clears `O_NONBLOCK` on an fd opened with it (used to open files without
/// blocking on FIFOs, then read them normally).
pub(crate) fn set_blocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, fcntl};
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL).map_err(io_err)?);
    fcntl(fd, FcntlArg::F_SETFL(flags - OFlag::O_NONBLOCK)).map_err(io_err)?;
    Ok(())
}

/// One sendfile(2) call from `file` at `offset` into `sock`; returns bytes sent (0 at EOF).
pub(crate) fn sendfile(
    sock: BorrowedFd<'_>,
    file: BorrowedFd<'_>,
    offset: &mut i64,
    count: usize,
) -> io::Result<usize> {
    loop {
        match nix::sys::sendfile::sendfile(sock, file, Some(offset), count) {
            Err(Errno::EINTR) => continue,
            r => return r.map_err(io_err),
        }
    }
}
