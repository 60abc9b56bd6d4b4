//! Logins: anonymous policy, virtual users and system accounts. Decides who
//! a session is and whose permissions it runs with; never touches the
//! session's files.

pub(crate) mod hash;
pub(crate) mod identity;
pub(crate) mod system;
pub(crate) mod users;

use crate::config::Config;
pub(crate) use identity::{AccountKind, Identity, Permissions, RunAs};
use std::path::PathBuf;
use users::UserFile;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// Wrong password, unknown user, anonymous disabled: all look the same to the client.
    Denied,
    /// The users file could not be read (logged; the client sees a denial).
    UsersFile(String),
    /// Refused for a reason worth logging (a locked account, a shell not in
    /// /etc/shells, a missing guest account); the client sees a denial.
    Refused(String),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::Denied => f.write_str("login denied"),
            AuthError::UsersFile(m) => write!(f, "users file: {m}"),
            AuthError::Refused(why) => write!(f, "login refused: {why}"),
        }
    }
}

impl std::error::Error for AuthError {}

/// Whether this process may run sessions as other accounts (root's
/// CAP_SETUID and CAP_SETGID), or only as itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Switching {
    AsAccounts,
    OwnAccountOnly,
}

/// Whether a USER name asks for an anonymous login.
pub(crate) fn is_anonymous_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("anonymous") || name.eq_ignore_ascii_case("ftp")
}

/// Checks a USER/PASS pair: anonymous, then the virtual users file, then
/// (with local_enable) the system's accounts. `switching` says whether
/// this process may run sessions as other accounts (started as root).
pub(crate) fn authenticate(
    config: &Config,
    users: &UserFile,
    accounts: &system::AccountCache,
    name: &str,
    password: &str,
    switching: Switching,
) -> Result<Identity, AuthError> {
    if is_anonymous_name(name) {
        if !config.anonymous_enable {
            return Err(AuthError::Denied);
        }
        let other = config.anon_other_write_enable;
        let perms = Permissions {
            download: true,
            upload: config.anon_upload_enable,
            mkdir: config.anon_mkdir_write_enable,
            overwrite: other,
            delete: other,
            rename: other,
            rmdir: other,
        };
        return Ok(Identity {
            name: "ftp".into(),
            kind: AccountKind::Anonymous,
            root: PathBuf::from(&config.anon_root),
            start: "/".into(),
            perms: allowed(config, perms),
            umask: config.anon_umask,
            world_readable_only: config.anon_world_readable_only,
            anon_password: Some(password.to_owned()),
            run_as: mapped(accounts, &config.ftp_username, "ftp_username", switching)?,
            uploads_to: match config.chown_uploads {
                true => Some(upload_owner(accounts, config)?),
                false => None,
            },
        });
    }
    if let Some(user) = users.lookup(name).map_err(|e| AuthError::UsersFile(e.0))? {
        if !hash::verify(password, &user.hash) {
            return Err(AuthError::Denied);
        }
        return Ok(Identity {
            name: user.name,
            kind: AccountKind::Virtual,
            root: PathBuf::from(user.home),
            start: "/".into(),
            perms: allowed(config, user.perms),
            umask: config.local_umask,
            world_readable_only: false,
            anon_password: None,
            run_as: mapped(accounts, &config.guest_username, "guest_username", switching)?,
            uploads_to: None,
        });
    }
    if !config.local_enable {
        return Err(AuthError::Denied);
    }
    if switching == Switching::OwnAccountOnly {
        return Err(AuthError::Refused("local_enable=YES needs rftpd started as root".into()));
    }
    let account =
        system::verify(config, name, password).map_err(|why| AuthError::Refused(format!("system account: {why}")))?;
    let (root, start) = match config.chroot_local_user {
        true => (account.home.clone(), "/".to_string()),
        false => ("/".to_string(), account.home.clone()),
    };
    Ok(Identity {
        name: account.name.clone(),
        kind: AccountKind::System,
        root: PathBuf::from(root),
        start,
        perms: allowed(config, Permissions::ALL),
        umask: config.local_umask,
        world_readable_only: false,
        anon_password: None,
        run_as: Some(RunAs { account: account.name, id: account.id }),
        uploads_to: None,
    })
}

/// A user's permissions within what the server allows at all.
fn allowed(config: &Config, perms: Permissions) -> Permissions {
    // Everything but downloading needs write_enable.
    let p = if config.write_enable { perms } else { Permissions { download: perms.download, ..Permissions::NONE } };
    Permissions { download: p.download && config.download_enable, ..p }
}

/// chown_uploads: who anonymous uploads are given to, and their mode.
fn upload_owner(accounts: &system::AccountCache, config: &Config) -> Result<(u32, u32, u32), AuthError> {
    let name = &config.chown_username;
    match accounts.lookup(name) {
        Ok(Some(a)) => Ok((a.id.uid, a.id.gid, config.chown_upload_mode)),
        Ok(None) => Err(AuthError::Refused(format!("chown_username={name}: no such account"))),
        Err(e) => Err(AuthError::Refused(format!("chown_username: {e}"))),
    }
}

/// The account named by ftp_username/guest_username, when sessions can run as it.
fn mapped(
    accounts: &system::AccountCache,
    account: &str,
    key: &str,
    switching: Switching,
) -> Result<Option<RunAs>, AuthError> {
    if account.is_empty() || switching == Switching::OwnAccountOnly {
        return Ok(None);
    }
    match accounts.lookup(account) {
        Ok(Some(a)) if a.id.uid != 0 => Ok(Some(RunAs { account: a.name, id: a.id })),
        Ok(Some(_)) => Err(AuthError::Refused(format!("{key}={account} is root"))),
        Ok(None) => Err(AuthError::Refused(format!("{key}={account}: no such account"))),
        Err(e) => Err(AuthError::Refused(format!("{key}: {e}"))),
    }
}
