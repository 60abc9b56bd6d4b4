//! Dropping root after start-up (`nopriv_user`): the whole process becomes
//! that user, its group and no supplementary groups, and can never regain
//! privileges. Called while the main thread is the only thread, so the
//! process-wide glibc calls reach every thread there will be.

use nix::unistd::{Gid, Uid, User, setgid, setgroups, setuid};

/// Switches to `name` when running as root; returns what happened, for the log.
pub fn drop_to(name: &str) -> Result<String, String> {
    if !Uid::effective().is_root() {
        return Ok(format!("nopriv_user={name} ignored: not started as root"));
    }
    let user = User::from_name(name)
        .map_err(|e| format!("nopriv_user: cannot look up '{name}': {e}"))?
        .ok_or_else(|| format!("nopriv_user: no user '{name}'"))?;
    if user.uid.is_root() {
        return Err(format!("nopriv_user: '{name}' is root"));
    }
    let gid: Gid = user.gid;
    setgroups(&[gid]).map_err(|e| format!("nopriv_user: setgroups: {e}"))?;
    setgid(gid).map_err(|e| format!("nopriv_user: setgid: {e}"))?;
    setuid(user.uid).map_err(|e| format!("nopriv_user: setuid: {e}"))?;
    // setuid from root to non-root clears every capability; make sure of it.
    if setuid(Uid::from_raw(0)).is_ok() {
        return Err("nopriv_user: root could be regained after the switch".into());
    }
    let _ = nix::sys::prctl::set_no_new_privs();
    Ok(format!("running as {name} (uid {}, gid {}), no capabilities", user.uid, gid))
}
