//! The only door to the disk. Every path a client names is resolved by the
//! kernel inside the session's root (`openat2` with `RESOLVE_IN_ROOT |
//! RESOLVE_NO_MAGICLINKS` on a directory fd held here), so `..`, absolute
//! paths and symlinks can never leave it. Plain `*at()` calls only ever get
//! one validated [`Name`] inside a directory fd that `openat2` opened.

mod dir;
pub mod vpath;

use crate::sys::fs as sysfs;
use nix::fcntl::OFlag;
use nix::sys::stat::{FileStat, SFlag};
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
pub(crate) use vpath::Name;
pub use vpath::VirtualPath;

/// A session's root directory.
#[derive(Debug)]
pub struct Jail {
    /// Shared by sessions with the same root (see [`Roots`]).
    root: Arc<OwnedFd>,
    root_path: PathBuf,
    /// The root is the host's `/`, so `/proc` lies inside it: everything
    /// resolved on procfs is refused (see [`Jail::resolve`]).
    guard_proc: bool,
}

/// Whether a root directory reaches the host's procfs: it is `/` itself.
/// (`/`'s identity is read once; sessions open roots at every login.)
fn reaches_proc(root: &OwnedFd) -> bool {
    static SLASH: std::sync::OnceLock<Option<(u64, u64)>> = std::sync::OnceLock::new();
    let id = |st: FileStat| (st.st_dev, st.st_ino);
    let slash = *SLASH.get_or_init(|| File::open("/").and_then(|f| sysfs::fstat(f.as_fd())).ok().map(id));
    match (sysfs::fstat(root.as_fd()), slash) {
        (Ok(r), Some(slash)) => id(r) == slash || sysfs::on_procfs(root.as_fd()),
        _ => true,
    }
}

/// What a directory listing returns for one entry.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) name: OsString,
    /// `lstat` of the entry (a symlink is seen as a symlink).
    pub(crate) stat: FileStat,
    /// For symlinks: the link text.
    pub(crate) link_target: Option<OsString>,
}

/// A directory read in full (up to a limit).
#[derive(Debug)]
pub(crate) struct Listing {
    pub(crate) entries: Vec<Entry>,
    pub(crate) truncated: bool,
}

pub(crate) fn is_dir(st: &FileStat) -> bool {
    file_type(st) == SFlag::S_IFDIR
}

pub(crate) fn is_regular(st: &FileStat) -> bool {
    file_type(st) == SFlag::S_IFREG
}

pub(crate) fn is_symlink(st: &FileStat) -> bool {
    file_type(st) == SFlag::S_IFLNK
}

fn file_type(st: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits())
}

fn no_name() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "the root directory has no name")
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn open_root(root_path: &Path) -> io::Result<OwnedFd> {
    let dir = File::open(root_path)?;
    sysfs::open_in_root(dir.as_fd(), "", OFlag::O_PATH | OFlag::O_DIRECTORY, 0)
}

/// Root directory fds shared by the sessions that have the same root, so
/// 10,000 anonymous sessions hold one root fd, not 10,000. Each login still
/// opens the path afresh and shares only when it is the same directory
/// (device and inode) as the held fd, so a replaced root is picked up.
#[derive(Debug, Default)]
pub(crate) struct Roots {
    held: Mutex<HashMap<PathBuf, Weak<OwnedFd>>>,
}

impl Roots {
    pub fn open(&self, root_path: &Path) -> io::Result<Jail> {
        let fresh = open_root(root_path)?;
        let id = |fd: &OwnedFd| sysfs::fstat(fd.as_fd()).map(|st| (st.st_dev, st.st_ino));
        let fresh_id = id(&fresh)?;
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let shared = held.get(root_path).and_then(Weak::upgrade).filter(|fd| id(fd).ok() == Some(fresh_id));
        let root = match shared {
            Some(root) => root,
            None => {
                held.retain(|_, w| w.strong_count() > 0);
                let root = Arc::new(fresh);
                held.insert(root_path.to_owned(), Arc::downgrade(&root));
                root
            }
        };
        let guard_proc = reaches_proc(&root);
        Ok(Jail { root, root_path: root_path.to_owned(), guard_proc })
    }
}

impl Jail {
    /// Opens the root directory (a path from config, never from a client).
    pub fn open(root_path: &Path) -> io::Result<Jail> {
        let root = open_root(root_path)?;
        let guard_proc = reaches_proc(&root);
        Ok(Jail { root: Arc::new(root), root_path: root_path.to_owned(), guard_proc })
    }

    /// Where a virtual path lies on the host, for logs only (xferlog).
    pub(crate) fn host_path(&self, p: &VirtualPath) -> PathBuf {
        self.root_path.join(p.relative())
    }

    /// Every path a client names reaches the kernel here. A root that is
    /// the host's `/` refuses whatever lies on procfs: `/proc/self` (and
    /// `/proc/<pid>`) would be the daemon's own memory map and open files.
    fn resolve(&self, p: &VirtualPath, flags: OFlag, mode: u32) -> io::Result<OwnedFd> {
        let fd = sysfs::open_in_root(self.root.as_fd(), p.relative(), flags, mode)?;
        if self.guard_proc && sysfs::on_procfs(fd.as_fd()) {
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
        Ok(fd)
    }

    /// The directory holding `p`'s final name, and that name.
    fn parent_of(&self, p: &VirtualPath) -> io::Result<(OwnedFd, Name)> {
        let (parent, name) = p.split_last().ok_or_else(no_name)?;
        Ok((self.resolve(&parent, OFlag::O_PATH | OFlag::O_DIRECTORY, 0)?, name))
    }

    /// Succeeds when `p` is a directory (following symlinks inside the root).
    pub(crate) fn check_dir(&self, p: &VirtualPath) -> io::Result<()> {
        self.resolve(p, OFlag::O_PATH | OFlag::O_DIRECTORY, 0).map(drop)
    }

    /// `stat` following symlinks inside the root.
    pub(crate) fn stat(&self, p: &VirtualPath) -> io::Result<FileStat> {
        sysfs::fstat(self.resolve(p, OFlag::O_PATH, 0)?.as_fd())
    }

    /// `lstat`: the final component is not followed.
    pub(crate) fn lstat(&self, p: &VirtualPath) -> io::Result<FileStat> {
        match p.split_last() {
            None => self.stat(p),
            Some(_) => {
                let (dir, name) = self.parent_of(p)?;
                sysfs::lstat_at(dir.as_fd(), name.as_cstr())
            }
        }
    }

    /// Opens a regular file for reading. FIFOs and devices are refused without
    /// blocking (opened `O_NONBLOCK`, checked, then switched back).
    pub fn open_read(&self, p: &VirtualPath) -> io::Result<File> {
        self.open_read_stat(p).map(|(file, _)| file)
    }

    /// [`Jail::open_read`], with the file's status as it was opened (RETR
    /// needs its size and mode: one `fstat` instead of two).
    pub(crate) fn open_read_stat(&self, p: &VirtualPath) -> io::Result<(File, nix::sys::stat::FileStat)> {
        let fd = self.resolve(p, OFlag::O_RDONLY | OFlag::O_NONBLOCK, 0)?;
        let st = sysfs::fstat(fd.as_fd())?;
        if is_dir(&st) {
            return Err(io::Error::from(io::ErrorKind::IsADirectory));
        }
        if !is_regular(&st) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        sysfs::set_blocking(fd.as_fd())?;
        Ok((File::from(fd), st))
    }

    pub(crate) fn mkdir(&self, p: &VirtualPath, mode: u32) -> io::Result<()> {
        let (dir, name) = self.parent_of(p)?;
        sysfs::mkdir_at(dir.as_fd(), name.as_cstr(), mode)
    }

    pub(crate) fn rmdir(&self, p: &VirtualPath) -> io::Result<()> {
        let (dir, name) = self.parent_of(p)?;
        sysfs::rmdir_at(dir.as_fd(), name.as_cstr())
    }

    /// Removes a file or symlink (the link itself, never its target).
    pub(crate) fn remove_file(&self, p: &VirtualPath) -> io::Result<()> {
        let (dir, name) = self.parent_of(p)?;
        sysfs::unlink_at(dir.as_fd(), name.as_cstr())
    }

    /// Renames within the root. With [`Replace::Allowed`] an existing `to`
    /// (a file, or an empty directory when `from` is one) is replaced
    /// atomically; with [`Replace::Never`] the rename fails with EEXIST if
    /// `to` exists, decided by the kernel in the same step.
    pub(crate) fn rename(&self, from: &VirtualPath, to: &VirtualPath, replace: Replace) -> io::Result<()> {
        let (from_dir, from_name) = self.parent_of(from)?;
        let (to_dir, to_name) = self.parent_of(to)?;
        replace.rename(from_dir.as_fd(), from_name.as_cstr(), to_dir.as_fd(), to_name.as_cstr())
    }

    pub(crate) fn chmod(&self, p: &VirtualPath, mode: u32) -> io::Result<()> {
        sysfs::chmod_fd(self.resolve(p, OFlag::O_PATH, 0)?.as_fd(), mode)
    }

    pub(crate) fn set_mtime(&self, p: &VirtualPath, secs: i64) -> io::Result<()> {
        sysfs::set_mtime_fd(self.resolve(p, OFlag::O_PATH, 0)?.as_fd(), secs)
    }

    /// The text of a symlink (for `LIST` lines).
    pub(crate) fn read_link(&self, p: &VirtualPath) -> io::Result<OsString> {
        let (dir, name) = self.parent_of(p)?;
        sysfs::readlink_at(dir.as_fd(), name.as_cstr())
    }

    /// Reads a directory: one `lstat` per entry on the directory fd, `.` and
    /// `..` skipped, at most `limit` entries, sorted by name (see [`dir`]).
    pub(crate) fn read_dir(&self, p: &VirtualPath, limit: usize) -> io::Result<Listing> {
        dir::read(self.resolve(p, OFlag::O_RDONLY | OFlag::O_DIRECTORY, 0)?, limit)
    }

    /// Starts an upload that replaces `p` only when committed: data goes to
    /// an unnamed file in the same directory (O_TMPFILE; where the file
    /// system lacks it, a hidden temporary name), put in place by
    /// [`Upload::commit`]. Dropped uncommitted, nothing is left behind and
    /// whatever `p` was stays untouched.
    /// With [`Replace::Never`] the commit fails if `p` exists by then, even
    /// if it appeared while the data was coming in.
    pub(crate) fn create_upload(&self, p: &VirtualPath, mode: u32, replace: Replace) -> io::Result<Upload> {
        let (dir, target) = self.parent_of(p)?;
        let old = sysfs::lstat_at(dir.as_fd(), target.as_cstr()).ok();
        if old.as_ref().is_some_and(is_dir) {
            return Err(io::Error::from(io::ErrorKind::IsADirectory));
        }
        let (fd, temp) = match sysfs::open_unnamed(dir.as_fd(), mode)? {
            Some(fd) => (fd, None),
            None => {
                sweep_stale(dir.as_fd());
                let temp = temp_name(&target)?;
                let flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL;
                (sysfs::open_in_root(dir.as_fd(), temp.as_str(), flags, mode)?, Some(temp))
            }
        };
        let file = File::from(fd);
        // An overwrite keeps the old file's permissions, as an in-place write would.
        if let Some(st) = old.filter(is_regular) {
            use std::os::unix::fs::PermissionsExt;
            let _ = file.set_permissions(std::fs::Permissions::from_mode(st.st_mode & 0o7777));
        }
        Ok(Upload { dir, temp, target, file: Some(file), committed: false, replace, give_to: None })
    }

    /// Opens an existing regular file for writing from `offset` on (STOR after
    /// REST), cutting it there. An offset past the end is refused.
    pub(crate) fn open_resume(&self, p: &VirtualPath, offset: u64) -> io::Result<File> {
        let fd = self.resolve(p, OFlag::O_WRONLY | OFlag::O_NONBLOCK, 0)?;
        let st = sysfs::fstat(fd.as_fd())?;
        if !is_regular(&st) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        if offset > st.st_size as u64 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "restart offset past end of file"));
        }
        sysfs::set_blocking(fd.as_fd())?;
        let mut file = File::from(fd);
        file.set_len(offset)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(file)
    }

    /// Opens (creating if needed) a regular file for appending (APPE).
    pub(crate) fn open_append(&self, p: &VirtualPath, mode: u32) -> io::Result<File> {
        let flags = OFlag::O_WRONLY | OFlag::O_APPEND | OFlag::O_CREAT | OFlag::O_NONBLOCK;
        let fd = self.resolve(p, flags, mode)?;
        if !is_regular(&sysfs::fstat(fd.as_fd())?) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        sysfs::set_blocking(fd.as_fd())?;
        Ok(File::from(fd))
    }

    /// Creates a new file whose name does not exist yet: `p`, then `p.1`,
    /// `p.2`, … (STOU). Returns the file and the name chosen.
    pub(crate) fn create_unique(&self, p: &VirtualPath, mode: u32, tries: u32) -> io::Result<(File, VirtualPath)> {
        let flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL;
        for i in 0..tries {
            let candidate = if i == 0 { p.clone() } else { VirtualPath::root().resolve(&format!("{p}.{i}"))? };
            match self.resolve(&candidate, flags, mode) {
                Ok(fd) => return Ok((File::from(fd), candidate)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::from(io::ErrorKind::AlreadyExists))
    }
}

/// An upload in progress under a temporary name; see [`Jail::create_upload`].
#[derive(Debug)]
pub(crate) struct Upload {
    dir: OwnedFd,
    /// The temporary name, where the file system has no O_TMPFILE.
    temp: Option<Name>,
    target: Name,
    file: Option<File>,
    committed: bool,
    replace: Replace,
    /// chown_uploads: (uid, gid, mode) the file gets once it has its name
    /// (linking a file one no longer owns would be refused).
    give_to: Option<(u32, u32, u32)>,
}

/// Whether an operation may replace what exists at its target name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replace {
    Allowed,
    /// The kernel refuses (EEXIST) if the name exists when the operation lands.
    Never,
}

impl Replace {
    /// renameat(2), or with `Never` renameat2(RENAME_NOREPLACE).
    fn rename(
        self,
        from_dir: std::os::fd::BorrowedFd<'_>,
        from: &std::ffi::CStr,
        to_dir: std::os::fd::BorrowedFd<'_>,
        to: &std::ffi::CStr,
    ) -> io::Result<()> {
        match self {
            Replace::Allowed => sysfs::rename_at(from_dir, from, to_dir, to),
            Replace::Never => sysfs::rename_noreplace_at(from_dir, from, to_dir, to),
        }
    }
}

impl Upload {
    /// The committed file is given to `uid:gid` with `mode` (chown_uploads).
    pub(crate) fn give_to(&mut self, uid: u32, gid: u32, mode: u32) {
        self.give_to = Some((uid, gid, mode));
    }

    pub(crate) fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("file is present until commit")
    }

    /// Puts the data in place in one atomic step: over the target, or with
    /// [`Replace::Never`] only if the target is still absent.
    pub(crate) fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("file is present until commit");
        let dir = self.dir.as_fd();
        let target = self.target.as_cstr();
        match (&self.temp, self.replace) {
            (Some(temp), replace) => replace.rename(dir, temp.as_cstr(), dir, target)?,
            (None, Replace::Never) => sysfs::link_unnamed(file.as_fd(), dir, target)?,
            // A new name: one linkat. (Creating a file costs more than
            // anything else a small upload does, so the step saved shows.)
            (None, Replace::Allowed) if link_new(file.as_fd(), dir, target)? => {}
            // linkat cannot replace: link under a fresh name, rename that over
            // the target (a name exists only for those two calls).
            (None, Replace::Allowed) => {
                let temp = temp_name(&self.target)?;
                sysfs::link_unnamed(file.as_fd(), dir, temp.as_cstr())?;
                if let Err(e) = sysfs::rename_at(dir, temp.as_cstr(), dir, target) {
                    let _ = sysfs::unlink_at(dir, temp.as_cstr());
                    return Err(e);
                }
            }
        }
        self.committed = true;
        match self.give_to {
            Some((uid, gid, mode)) => crate::sys::creds::give_away(file.as_fd(), uid, gid, mode),
            None => Ok(()),
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let (false, Some(temp)) = (self.committed, &self.temp) {
            let _ = sysfs::unlink_at(self.dir.as_fd(), temp.as_cstr());
        }
    }
}

/// Links an unnamed file in as `name` if that name is free: `Ok(false)` when it is taken.
fn link_new(
    file: std::os::fd::BorrowedFd<'_>,
    dir: std::os::fd::BorrowedFd<'_>,
    name: &std::ffi::CStr,
) -> io::Result<bool> {
    match sysfs::link_unnamed(file, dir, name) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// A fresh hidden name for an upload's data beside `target`:
/// `.target.rftpd-PID-N.part`.
fn temp_name(target: &Name) -> io::Result<Name> {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp = format!(".{}{TEMP_MARK}{}-{n}.part", target.as_str(), std::process::id());
    if temp.len() > 255 {
        temp = format!("{TEMP_MARK}{}-{n}.part", std::process::id());
    }
    Name::new(&temp)
}

const TEMP_MARK: &str = ".rftpd-";

/// Removes the temporary files that rftpd processes which no longer run
/// left in `dir` (killed mid-upload on a file system without O_TMPFILE).
/// A temporary file of a live rftpd is left alone.
fn sweep_stale(dir: std::os::fd::BorrowedFd<'_>) {
    // Once per directory and process: reading a large directory on every
    // upload would cost more than the stale files do.
    static SWEPT: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());
    let Ok(st) = sysfs::fstat(dir) else { return };
    {
        let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
        if swept.contains(&(st.st_dev, st.st_ino)) {
            return;
        }
        if swept.len() >= 4096 {
            swept.clear();
        }
        swept.push((st.st_dev, st.st_ino));
    }
    let Ok(names) = sysfs::names_in(dir) else { return };
    for name in names {
        let Some(text) = name.to_str() else { continue };
        let Some(pid) = stale_owner(text) else { continue };
        let alive = std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "rftpd");
        if !alive && let Ok(name) = Name::new(text) {
            let _ = sysfs::unlink_at(dir, name.as_cstr());
        }
    }
}

/// The process id in a temporary name `….rftpd-PID-N.part`, if it is one
/// and not this process's.
fn stale_owner(name: &str) -> Option<u32> {
    let rest = &name[name.rfind(TEMP_MARK)? + TEMP_MARK.len()..];
    let (pid, tail) = rest.split_once('-')?;
    let n = tail.strip_suffix(".part")?;
    if !name.starts_with('.') || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok().filter(|p| *p != std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temporaries_of_dead_processes_are_swept() {
        assert_eq!(stale_owner(".big.bin.rftpd-4242-7.part"), Some(4242));
        assert_eq!(stale_owner(".rftpd-4242-7.part"), Some(4242));
        let ours = format!(".x.rftpd-{}-1.part", std::process::id());
        for not_stale in ["big.bin", ".x.rftpd-12-.part", "x.rftpd-12-1.part", ".x.rftpd-ab-1.part", ours.as_str()] {
            assert_eq!(stale_owner(not_stale), None, "{not_stale}");
        }
        let dir = std::env::temp_dir().join(format!("rftpd-sweep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // pid_max is at most 2^22: this pid cannot be running.
        for name in [".old.rftpd-4999999-1.part", "keep.txt", ours.as_str()] {
            std::fs::write(dir.join(name), "x").unwrap();
        }
        sweep_stale(File::open(&dir).unwrap().as_fd());
        let mut left: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, [ours.clone(), "keep.txt".to_string()]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sessions_with_one_root_share_its_fd_until_the_root_is_replaced() {
        let base = std::env::temp_dir().join(format!("rftpd-roots-{}", std::process::id()));
        let root = base.join("root");
        std::fs::create_dir_all(&root).unwrap();
        let roots = Roots::default();
        let a = roots.open(&root).unwrap();
        let b = roots.open(&root).unwrap();
        assert!(Arc::ptr_eq(&a.root, &b.root), "same directory, one fd");
        std::fs::rename(&root, base.join("old")).unwrap();
        std::fs::create_dir(&root).unwrap();
        let c = roots.open(&root).unwrap();
        assert!(!Arc::ptr_eq(&a.root, &c.root), "a replaced root is opened afresh");
        drop((a, b, c));
        let d = roots.open(&root).unwrap();
        assert_eq!(Arc::strong_count(&d.root), 1);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
