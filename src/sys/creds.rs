//! Per-thread credentials: which uid, gid and groups the kernel checks a
//! thread's file access against, and which capabilities that thread has.
//!
//! On Linux credentials belong to a thread. glibc's `setgroups`,
//! `setresuid`, `initgroups` (and nix's wrappers of them) signal every thread
//! of the process to do the same; the raw syscalls made here change the
//! calling thread only, and threads it spawns inherit them. A worker thread
//! therefore takes on a session's identity with [`assume`] and gets its own
//! back when the returned [`Assumed`] drops, or, for a
//! [lingering](Assumed::lingering) one, at the next [`assume`] of another
//! identity or [`unpark`]. The per-thread behaviour is pinned by the tests
//! at the end of this file.

use std::cell::RefCell;
use std::io;
use std::marker::PhantomData;

/// A set of capabilities (bit `n` is capability number `n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapSet(pub(crate) u64);

impl CapSet {
    pub const CHOWN: CapSet = CapSet(1 << 0);
    pub const DAC_OVERRIDE: CapSet = CapSet(1 << 1);
    pub const DAC_READ_SEARCH: CapSet = CapSet(1 << 2);
    pub const FOWNER: CapSet = CapSet(1 << 3);
    pub const FSETID: CapSet = CapSet(1 << 4);
    pub const SETGID: CapSet = CapSet(1 << 6);
    pub const SETUID: CapSet = CapSet(1 << 7);
    pub const LINUX_IMMUTABLE: CapSet = CapSet(1 << 9);
    pub const NET_BIND_SERVICE: CapSet = CapSet(1 << 10);
    pub const MKNOD: CapSet = CapSet(1 << 27);
    pub const MAC_OVERRIDE: CapSet = CapSet(1 << 32);
    /// The capabilities that bypass file permission checks; the kernel drops
    /// them when fsuid leaves 0, and [`assume`] drops them always.
    pub const FILE_SYSTEM: CapSet = CapSet(
        Self::CHOWN.0
            | Self::DAC_OVERRIDE.0
            | Self::DAC_READ_SEARCH.0
            | Self::FOWNER.0
            | Self::FSETID.0
            | Self::LINUX_IMMUTABLE.0
            | Self::MKNOD.0
            | Self::MAC_OVERRIDE.0,
    );
    const NAMES: [(CapSet, &'static str); 6] = [
        (Self::CHOWN, "CAP_CHOWN"),
        (Self::DAC_OVERRIDE, "CAP_DAC_OVERRIDE"),
        (Self::DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH"),
        (Self::SETGID, "CAP_SETGID"),
        (Self::SETUID, "CAP_SETUID"),
        (Self::NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE"),
    ];

    pub const fn empty() -> CapSet {
        CapSet(0)
    }
    pub const fn union(self, other: CapSet) -> CapSet {
        CapSet(self.0 | other.0)
    }
    pub const fn intersect(self, other: CapSet) -> CapSet {
        CapSet(self.0 & other.0)
    }
    pub const fn without(self, other: CapSet) -> CapSet {
        CapSet(self.0 & !other.0)
    }
    pub const fn contains(self, other: CapSet) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// "CAP_SETUID, CAP_SETGID" or "none", for logs (capabilities rftpd
    /// does not use are counted, not named).
    pub fn describe(self) -> String {
        let mut names: Vec<String> =
            Self::NAMES.iter().filter(|(c, _)| self.contains(*c)).map(|(_, n)| n.to_string()).collect();
        let named = Self::NAMES.iter().fold(CapSet::empty(), |acc, (c, _)| acc.union(*c));
        let others = self.without(named).0.count_ones();
        if others > 0 {
            names.push(format!("{others} others"));
        }
        if names.is_empty() { "none".into() } else { names.join(", ") }
    }
}

/// A thread's effective and permitted capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caps {
    pub(crate) effective: CapSet,
    pub(crate) permitted: CapSet,
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAP_VERSION_3: u32 = 0x2008_0522;

fn words(set: CapSet) -> (u32, u32) {
    (set.0 as u32, (set.0 >> 32) as u32)
}

/// The calling thread's capabilities.
pub(crate) fn thread_caps() -> io::Result<Caps> {
    let mut header = CapHeader { version: CAP_VERSION_3, pid: 0 };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget(2) with version 3 writes two CapData records into
    // `data`, which has exactly that size; pid 0 is the calling thread.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header as *mut CapHeader, data.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let join = |lo: u32, hi: u32| CapSet(u64::from(lo) | (u64::from(hi) << 32));
    Ok(Caps {
        effective: join(data[0].effective, data[1].effective),
        permitted: join(data[0].permitted, data[1].permitted),
    })
}

/// Sets the calling thread's capabilities (inheritable: none). Raising
/// `effective` works only within `permitted`; `permitted` can only shrink.
pub(crate) fn set_thread_caps(caps: Caps) -> io::Result<()> {
    let mut header = CapHeader { version: CAP_VERSION_3, pid: 0 };
    let (e0, e1) = words(caps.effective);
    let (p0, p1) = words(caps.permitted);
    let data = [
        CapData { effective: e0, permitted: p0, inheritable: 0 },
        CapData { effective: e1, permitted: p1, inheritable: 0 },
    ];
    // SAFETY: capset(2) version 3 reads the header and two CapData records,
    // both alive for the call; pid 0 is the calling thread only.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header as *mut CapHeader, data.as_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sets the calling thread's supplementary groups (raw syscall: glibc's
/// `setgroups` would change every thread). Needs CAP_SETGID.
fn set_thread_groups(groups: &[u32]) -> io::Result<()> {
    // SAFETY: setgroups(2) reads `groups.len()` gid_t (u32) values from a
    // slice that outlives the call.
    let rc = unsafe { libc::syscall(libc::SYS_setgroups, groups.len() as libc::size_t, groups.as_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The calling thread's supplementary groups.
fn thread_groups() -> io::Result<Vec<u32>> {
    nix::unistd::getgroups().map(|g| g.into_iter().map(|g| g.as_raw()).collect()).map_err(super::io_err)
}

/// setfsuid/setfsgid report no errors: they return the previous value, and
/// `-1` only reads it. Set, then read back to confirm.
fn set_thread_fsuid(uid: u32) -> io::Result<()> {
    // SAFETY: plain syscalls on integers; glibc's setfsuid/setfsgid are not
    // broadcast to other threads (the tests below check it).
    let now = unsafe {
        libc::setfsuid(uid);
        libc::setfsuid(u32::MAX) as u32
    };
    if now == uid { Ok(()) } else { Err(io::Error::other(format!("setfsuid({uid}) left fsuid {now}"))) }
}

fn set_thread_fsgid(gid: u32) -> io::Result<()> {
    // SAFETY: as in set_thread_fsuid.
    let now = unsafe {
        libc::setfsgid(gid);
        libc::setfsgid(u32::MAX) as u32
    };
    if now == gid { Ok(()) } else { Err(io::Error::other(format!("setfsgid({gid}) left fsgid {now}"))) }
}

/// The calling thread's fsuid and fsgid.
fn thread_fs_ids() -> (u32, u32) {
    // SAFETY: -1 (u32::MAX) only reads the current fsuid/fsgid.
    unsafe { (libc::setfsuid(u32::MAX) as u32, libc::setfsgid(u32::MAX) as u32) }
}

/// The identity file access is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FsIdentity {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// Supplementary groups.
    pub(crate) groups: Vec<u32>,
}

impl FsIdentity {
    fn current() -> io::Result<FsIdentity> {
        let (uid, gid) = thread_fs_ids();
        Ok(FsIdentity { uid, gid, groups: thread_groups()? })
    }
}

/// Whether this thread may take on other identities (CAP_SETUID and CAP_SETGID).
pub(crate) fn can_switch() -> bool {
    thread_caps().is_ok_and(|c| c.effective.contains(CapSet::SETUID.union(CapSet::SETGID)))
}

/// While alive, the calling thread's file access is checked as `FsIdentity`
/// and the thread holds no file-system capability. Not `Send`: it must be
/// dropped by the thread that made it.
#[derive(Debug)]
pub(crate) struct Assumed {
    held: Option<Held>,
    /// Dropped, it stays on the thread for the next [`assume`] (see [`Assumed::lingering`]).
    linger: bool,
    _thread_bound: PhantomData<*const ()>,
}

/// An identity a thread has taken on, and what it had before.
#[derive(Debug)]
struct Held {
    id: FsIdentity,
    base: FsIdentity,
    caps: Caps,
}

thread_local! {
    /// An identity a session left on this thread: the next [`assume`] of the
    /// same identity takes it over instead of switching back and forth.
    static PARKED: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// Makes the calling thread check file access as `id`: file-system
/// capabilities leave its effective set first, so nothing overrides the
/// user's permissions; then groups, fsgid and fsuid change. Threads spawned
/// while it lasts inherit the identity.
pub(crate) fn assume(id: &FsIdentity) -> io::Result<Assumed> {
    if let Some(held) = take_parked() {
        if held.id == *id && held.in_force() {
            return Ok(Assumed { held: Some(held), linger: false, _thread_bound: PhantomData });
        }
        held.restore_or_abort();
    }
    let caps = thread_caps()?;
    let base = FsIdentity::current()?;
    let held = Held { id: id.clone(), base, caps };
    let assumed = Assumed { held: Some(held), linger: false, _thread_bound: PhantomData };
    // From here on, dropping `assumed` restores whatever was changed.
    // Each credential change costs a few microseconds: skip the ones that
    // change nothing (a nopriv_user without file-system capabilities).
    if !caps.effective.intersect(CapSet::FILE_SYSTEM).is_empty() {
        set_thread_caps(Caps { effective: caps.effective.without(CapSet::FILE_SYSTEM), permitted: caps.permitted })?;
    }
    set_thread_groups(&id.groups)?;
    set_thread_fsgid(id.gid)?;
    set_thread_fsuid(id.uid)?;
    Ok(assumed)
}

/// Gives the calling thread its own credentials back if a session left its
/// identity on it. Call before reading what only the daemon itself may read
/// (the users file, /etc/shadow, PAM).
pub(crate) fn unpark() {
    if let Some(held) = take_parked() {
        held.restore_or_abort();
    }
}

fn take_parked() -> Option<Held> {
    PARKED.try_with(|p| p.borrow_mut().take()).ok().flatten()
}

impl Assumed {
    /// Once dropped, the identity stays on the thread instead of being
    /// undone, so the next [`assume`] of the same identity costs nothing:
    /// a switch and its undoing are seven or eight credential changes
    /// (25–30 µs), which a worker serving one anonymous login after another
    /// would pay per login. Meanwhile the thread has less than its own
    /// rights (no file-system capability); [`unpark`], or an `assume` of
    /// another identity, gives them back first.
    pub(crate) fn lingering(mut self) -> Assumed {
        self.linger = true;
        self
    }
}

impl Held {
    /// Whether the thread still checks files as `id` (two reads, no change).
    fn in_force(&self) -> bool {
        thread_fs_ids() == (self.id.uid, self.id.gid)
    }

    fn restore(&self) -> io::Result<()> {
        set_thread_fsuid(self.base.uid)?;
        set_thread_fsgid(self.base.gid)?;
        set_thread_groups(&self.base.groups)?;
        // fsuid back to 0 gives the file-system capabilities back by itself.
        if thread_caps()? != self.caps {
            set_thread_caps(self.caps)?;
        }
        Ok(())
    }

    fn restore_or_abort(&self) {
        if let Err(e) = self.restore() {
            // A worker that cannot become itself again would serve the next
            // session with this one's identity: stop the process instead.
            log::error!("cannot restore the worker's credentials: {e}; aborting");
            std::process::abort();
        }
    }
}

impl Drop for Assumed {
    fn drop(&mut self) {
        let Some(held) = self.held.take() else { return };
        if !self.linger {
            return held.restore_or_abort();
        }
        // Parked in an empty slot (`assume` always empties it). An exiting
        // thread has no slot left, and its credentials end with it.
        let refused = PARKED.try_with(|p| {
            let mut slot = p.borrow_mut();
            match slot.is_none() {
                true => slot.replace(held),
                false => Some(held),
            }
        });
        if let Ok(Some(held)) = refused {
            held.restore_or_abort();
        }
    }
}

/// Gives an open file to `uid`/`gid` and sets its mode (vsftpd's
/// chown_uploads): raises CAP_CHOWN in this thread's effective set for the
/// two calls, which works only where the daemon kept it.
pub(crate) fn give_away(file: std::os::fd::BorrowedFd<'_>, uid: u32, gid: u32, mode: u32) -> io::Result<()> {
    use nix::sys::stat::{Mode, fchmod};
    use nix::unistd::{Gid, Uid, fchown};
    let caps = thread_caps()?;
    if !caps.permitted.contains(CapSet::CHOWN) {
        return Err(io::Error::other("chown_uploads needs CAP_CHOWN (rftpd started as root)"));
    }
    set_thread_caps(Caps { effective: caps.effective.union(CapSet::CHOWN), permitted: caps.permitted })?;
    // The mode first, while the file is still this session's own.
    let changed = fchmod(file, Mode::from_bits_truncate(mode))
        .and_then(|()| fchown(file, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid))))
        .map_err(super::io_err);
    set_thread_caps(caps)?;
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// Whether the test may switch identities (root). Under CI, which runs as
    /// root, a test that needs it fails without it; elsewhere it is skipped by name.
    fn root_or_skip() -> bool {
        if can_switch() {
            return true;
        }
        let current = std::thread::current();
        let name = current.name().unwrap_or("this test");
        assert!(std::env::var("CI").is_err(), "{name} needs CAP_SETUID and CAP_SETGID, and CI runs as root");
        eprintln!("SKIPPED: {name}: needs CAP_SETUID and CAP_SETGID (root)");
        false
    }

    #[test]
    fn describe_names_what_rftpd_uses() {
        assert_eq!(CapSet::empty().describe(), "none");
        assert_eq!(CapSet::SETUID.union(CapSet::NET_BIND_SERVICE).describe(), "CAP_SETUID, CAP_NET_BIND_SERVICE");
        assert_eq!(CapSet(1 << 21).union(CapSet::CHOWN).describe(), "CAP_CHOWN, 1 others");
    }

    /// Run as root only: one thread takes another identity, creates a file,
    /// and gets its own back; the test thread is never affected.
    #[test]
    fn assume_is_per_thread_and_restored() {
        if !root_or_skip() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("rftpd-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let secret = dir.join("secret");
        std::fs::write(&secret, "root only").unwrap();
        std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let before = (FsIdentity::current().unwrap(), thread_caps().unwrap());
        let d = dir.clone();
        let seen = std::thread::spawn(move || {
            let id = FsIdentity { uid: 54_321, gid: 54_322, groups: vec![54_323] };
            let base = (FsIdentity::current().unwrap(), thread_caps().unwrap());
            let guard = assume(&id).unwrap();
            let inside = FsIdentity::current().unwrap();
            let denied = std::fs::read(d.join("secret")).is_err();
            std::fs::write(d.join("made"), "x").unwrap();
            let from_helper = std::thread::spawn(move || FsIdentity::current().unwrap()).join().unwrap();
            drop(guard);
            let after = (FsIdentity::current().unwrap(), thread_caps().unwrap());
            (inside, denied, from_helper, base == after)
        })
        .join()
        .unwrap();
        let (inside, denied, from_helper, restored) = seen;
        assert_eq!(inside, FsIdentity { uid: 54_321, gid: 54_322, groups: vec![54_323] });
        assert!(denied, "a root 0600 file was readable as uid 54321");
        assert_eq!(from_helper, inside, "helper threads inherit the identity");
        assert!(restored, "the thread got its own credentials back");
        let made = std::fs::metadata(dir.join("made")).unwrap();
        assert_eq!((made.uid(), made.gid()), (54_321, 54_322));
        assert_eq!((FsIdentity::current().unwrap(), thread_caps().unwrap()), before);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A lingering identity stays after its guard drops, is taken over by an
    /// `assume` of the same identity, and gives way to the thread's own
    /// credentials for `unpark` or another identity.
    #[test]
    fn lingering_identity_is_reused_then_undone() {
        if !root_or_skip() {
            return;
        }
        std::thread::spawn(|| {
            let own = (FsIdentity::current().unwrap(), thread_caps().unwrap());
            let a = FsIdentity { uid: 54_331, gid: 54_332, groups: vec![54_333] };
            let b = FsIdentity { uid: 54_341, gid: 54_342, groups: vec![] };
            drop(assume(&a).unwrap().lingering());
            assert_eq!(FsIdentity::current().unwrap(), a, "still in force after the guard dropped");
            assert!(thread_caps().unwrap().effective.intersect(CapSet::FILE_SYSTEM).is_empty());
            let again = assume(&a).unwrap();
            assert_eq!(again.held.as_ref().unwrap().base, own.0, "taken over, with the thread's own base");
            drop(again);
            assert_eq!((FsIdentity::current().unwrap(), thread_caps().unwrap()), own, "not lingering: undone");

            drop(assume(&a).unwrap().lingering());
            let other = assume(&b).unwrap();
            assert_eq!(FsIdentity::current().unwrap(), b);
            assert_eq!(other.held.as_ref().unwrap().base, own.0, "a's identity was undone before b's");
            drop(other.lingering());
            unpark();
            assert_eq!((FsIdentity::current().unwrap(), thread_caps().unwrap()), own);
            unpark();
        })
        .join()
        .unwrap();
    }
}
