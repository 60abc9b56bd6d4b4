//! Reading one directory for a listing: its names, one `lstat` per name on
//! the directory fd, sorted by name. Large directories are statted by a
//! few threads at once: the `lstat`s are most of a big listing's time, and
//! threads spawned here inherit the session's credentials like transfer
//! threads do, so every check is still made as the session's account.

use super::{Entry, Listing, is_symlink};
use crate::limits::{PARALLEL_STAT_MIN, THREAD_STACK};
use crate::sys::fs as sysfs;
use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::OnceLock;

/// Reads `dir` (opened for reading): `.` and `..` skipped, at most `limit`
/// entries, sorted by name (bytewise, as `ls` in the C locale). Names that
/// vanish before their `lstat` are left out.
pub(crate) fn read(dir: OwnedFd, limit: usize) -> io::Result<Listing> {
    let fd = dir.try_clone()?;
    let (names, truncated) = names(dir, limit)?;
    let order = sorted(&names);
    let entries = stat_in_order(fd.as_fd(), &names, &order);
    Ok(Listing { entries, truncated })
}

/// The directory's names in the order the file system gives them.
fn names(dir: OwnedFd, limit: usize) -> io::Result<(Vec<CString>, bool)> {
    let mut dir = nix::dir::Dir::from_fd(dir).map_err(crate::sys::io_err)?;
    let mut names = Vec::new();
    for item in dir.iter() {
        let item = item.map_err(crate::sys::io_err)?;
        let name = item.file_name();
        if matches!(name.to_bytes(), b"." | b"..") {
            continue;
        }
        if names.len() >= limit {
            return Ok((names, true));
        }
        names.push(name.to_owned());
    }
    Ok((names, false))
}

/// The entries named by `order` (indexes into `names`), in that order: an
/// `lstat` of each, and `readlink` for symlinks.
fn stat_in_order(dir: BorrowedFd<'_>, names: &[CString], order: &[u32]) -> Vec<Entry> {
    // One name inside a directory fd openat2 gave us: lstat never follows it.
    let one = |i: &u32| -> Option<Entry> {
        let name = names[*i as usize].as_c_str();
        let stat = sysfs::lstat_at(dir, name).ok()?;
        let link_target = if is_symlink(&stat) { sysfs::readlink_at(dir, name).ok() } else { None };
        Some(Entry { name: OsStr::from_bytes(name.to_bytes()).to_owned(), stat, link_target })
    };
    let run = |part: &[u32]| part.iter().filter_map(one).collect::<Vec<Entry>>();
    let threads = if order.len() >= PARALLEL_STAT_MIN { cores().min(4) } else { 1 };
    if threads <= 1 {
        return run(order);
    }
    std::thread::scope(|scope| {
        let mut parts = order.chunks(order.len().div_ceil(threads));
        let mine = parts.next().unwrap_or_default();
        let helpers: Vec<_> = parts
            .map(|part| {
                let spawned = std::thread::Builder::new()
                    .name("lstat".into())
                    .stack_size(THREAD_STACK)
                    .spawn_scoped(scope, move || run(part));
                (part, spawned.ok())
            })
            .collect();
        let mut entries = run(mine);
        for (part, helper) in helpers {
            // A thread that could not start, or failed, leaves its part to this one.
            match helper.map(|h| h.join()) {
                Some(Ok(found)) => entries.extend(found),
                _ => entries.extend(run(part)),
            }
        }
        entries
    })
}

/// CPUs this process may use, counted once.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Indexes of `names` in bytewise order. Compares the first 16 bytes as one
/// integer first (names hold no NUL, so zero padding sorts a prefix first):
/// most comparisons end there instead of in a memcmp call.
fn sorted(names: &[CString]) -> Vec<u32> {
    let head = |n: &CString| {
        let bytes = n.as_bytes();
        let mut b = [0u8; 16];
        let len = bytes.len().min(16);
        b[..len].copy_from_slice(&bytes[..len]);
        u128::from_be_bytes(b)
    };
    let mut keys: Vec<(u128, u32)> = names.iter().enumerate().map(|(i, n)| (head(n), i as u32)).collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| names[a.1 as usize].cmp(&names[b.1 as usize])));
    keys.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(names: &[&str]) -> Vec<String> {
        let c: Vec<CString> = names.iter().map(|n| CString::new(*n).unwrap()).collect();
        sorted(&c).into_iter().map(|i| names[i as usize].to_string()).collect()
    }

    #[test]
    fn sorts_bytewise_past_the_first_sixteen_bytes() {
        let names = [
            "file-00010.txt",
            "b",
            "a-very-long-common-prefix-2",
            "file-00002.txt",
            "a-very-long-common-prefix-10",
            "ab",
            "a",
            "a-very-long-common-prefix",
            "Z",
            "é",
        ];
        let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(order(&names), expected);
    }

    /// Enough entries to be statted by several threads: every one is there,
    /// in order, with its own status.
    #[test]
    fn large_directories_are_complete_and_sorted() {
        let dir = std::env::temp_dir().join(format!("rftpd-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let n = PARALLEL_STAT_MIN + 77;
        for i in (0..n).rev() {
            std::fs::write(dir.join(format!("f{i:06}")), vec![b'x'; i % 13]).unwrap();
        }
        std::os::unix::fs::symlink("f000001", dir.join("link")).unwrap();
        let fd: OwnedFd = std::fs::File::open(&dir).unwrap().into();
        let listing = read(fd, usize::MAX).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!listing.truncated);
        assert_eq!(listing.entries.len(), n + 1);
        for (i, e) in listing.entries.iter().take(n).enumerate() {
            assert_eq!(e.name, std::ffi::OsString::from(format!("f{i:06}")));
            assert_eq!(e.stat.st_size as usize, i % 13);
        }
        let link = &listing.entries[n];
        assert_eq!((link.name.to_str(), link.link_target.as_deref()), (Some("link"), Some("f000001".as_ref())));
    }
}
