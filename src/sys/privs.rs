//! Giving up privileges after start-up. Called while the main thread is the
//! only thread, so the process-wide glibc calls reach every thread there
//! will be, and the capabilities set on the main thread are what every later
//! thread inherits.
//!
//! - [`drop_to`] (`nopriv_user`, rtftpd's `tftp_username`): the process becomes that user, its group
//!   and no supplementary groups, keeping only the capabilities asked for.
//! - [`keep_only`] (no `nopriv_user`): the process stays uid 0 but keeps
//!   only those capabilities, so root's DAC override and the rest are gone.

use super::creds::{CapSet, Caps, set_thread_caps, thread_caps};
use nix::unistd::{Gid, Uid, User, setgid, setgroups, setuid};

crate::text_error! {
    /// Why privileges could not be given up (rftpd then refuses to run).
    PrivilegeError
}

/// Switches to `name` (the value of config key `key`) when running as
/// root, keeping `keep`; returns what happened, for the log.
pub fn drop_to(key: &str, name: &str, keep: CapSet) -> Result<String, PrivilegeError> {
    if !Uid::effective().is_root() {
        return Ok(format!("{key}={name} ignored: not started as root"));
    }
    let user = User::from_name(name)
        .map_err(|e| PrivilegeError(format!("{key}: cannot look up '{name}': {e}")))?
        .ok_or_else(|| PrivilegeError(format!("{key}: no user '{name}'")))?;
    if user.uid.is_root() {
        return Err(PrivilegeError(format!("{key}: '{name}' is root")));
    }
    let gid: Gid = user.gid;
    // With keepcaps, setuid away from root keeps the permitted set (and
    // clears the effective one); without it every capability goes.
    nix::sys::prctl::set_keepcaps(!keep.is_empty()).map_err(|e| PrivilegeError(format!("{key}: keepcaps: {e}")))?;
    setgroups(&[gid]).map_err(|e| PrivilegeError(format!("{key}: setgroups: {e}")))?;
    setgid(gid).map_err(|e| PrivilegeError(format!("{key}: setgid: {e}")))?;
    setuid(user.uid).map_err(|e| PrivilegeError(format!("{key}: setuid: {e}")))?;
    let _ = nix::sys::prctl::set_keepcaps(false);
    if Uid::current().is_root() || Uid::effective().is_root() {
        return Err(PrivilegeError(format!("{key}: still uid 0 after the switch")));
    }
    restrict(keep).map_err(|e| PrivilegeError(format!("{key}: {e}")))?;
    if keep.is_empty() && setuid(Uid::from_raw(0)).is_ok() {
        return Err(PrivilegeError(format!("{key}: root could be regained after the switch")));
    }
    Ok(format!("running as {name} (uid {}, gid {}), capabilities: {}", user.uid, gid, keep.describe()))
}

/// Stays root but keeps only `keep` of the capabilities; returns what
/// happened, for the log.
pub fn keep_only(keep: CapSet) -> Result<String, PrivilegeError> {
    if !Uid::effective().is_root() {
        return Ok("not started as root: no privileges to drop".into());
    }
    restrict(keep)?;
    Ok(format!("running as root with capabilities: {}", keep.describe()))
}

/// Shrinks the permitted and effective sets to `keep` and sets
/// no_new_privs; checks the result.
fn restrict(keep: CapSet) -> Result<(), PrivilegeError> {
    let had = thread_caps().map_err(|e| PrivilegeError(format!("capget: {e}")))?;
    let keep = keep.intersect(had.permitted);
    set_thread_caps(Caps { effective: keep, permitted: keep }).map_err(|e| PrivilegeError(format!("capset: {e}")))?;
    let now = thread_caps().map_err(|e| PrivilegeError(format!("capget: {e}")))?;
    if now.permitted != keep || now.effective != keep {
        let (now, keep) = (now.permitted.describe(), keep.describe());
        return Err(PrivilegeError(format!("capabilities are {now} after keeping {keep}")));
    }
    nix::sys::prctl::set_no_new_privs().map_err(|e| PrivilegeError(format!("no_new_privs: {e}")))
}
