//! Logins: anonymous policy, virtual users and system accounts. Decides who
//! a session is and whose permissions it runs with; never touches the
//! session's files.

pub(crate) mod hash;
pub(crate) mod identity;
pub(crate) mod lists;
pub(crate) mod system;
pub(crate) mod users;

use crate::config::Config;
pub(crate) use identity::{AccountKind, Identity, Permissions, RunAs};
use lists::Lists;
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

/// Whose credentials checked out, before the config decides what the session may do.
#[derive(Debug, Clone)]
pub(crate) enum Verified {
    /// `anonymous`/`ftp`, with the password given (an e-mail address, by custom).
    Anonymous { password: String },
    /// A user of the virtual users file.
    Virtual(users::User),
    /// A system account (local_enable).
    System(system::Account),
}

impl Verified {
    /// The name the session logs in as (`ftp` for anonymous).
    pub(crate) fn name(&self) -> &str {
        match self {
            Verified::Anonymous { .. } => "ftp",
            Verified::Virtual(u) => &u.name,
            Verified::System(a) => &a.name,
        }
    }
}

/// Checks a USER/PASS pair: anonymous (with the e-mail lists), then the
/// virtual users file, then (with local_enable) the system's accounts.
/// `switching` says whether this process may run sessions as other
/// accounts (started as root).
pub(crate) fn verify(
    config: &Config,
    users: &UserFile,
    lists: &Lists,
    name: &str,
    password: &str,
    switching: Switching,
) -> Result<Verified, AuthError> {
    if is_anonymous_name(name) {
        if !config.anonymous_enable {
            return Err(AuthError::Denied);
        }
        if lists.banned_emails.as_ref().is_some_and(|l| l.contains(password)) {
            return Err(AuthError::Refused("anonymous password is in banned_email_file".into()));
        }
        if lists.email_passwords.as_ref().is_some_and(|l| !l.contains(password)) {
            return Err(AuthError::Refused("anonymous password is not in email_password_file".into()));
        }
        return Ok(Verified::Anonymous { password: password.to_owned() });
    }
    if let Some(user) = users.lookup(name).map_err(|e| AuthError::UsersFile(e.0))? {
        if !hash::verify(password, &user.hash) {
            return Err(AuthError::Denied);
        }
        return Ok(Verified::Virtual(user));
    }
    if !config.local_enable {
        return Err(AuthError::Denied);
    }
    if switching == Switching::OwnAccountOnly {
        return Err(AuthError::Refused("local_enable=YES needs rftpd started as root".into()));
    }
    system::verify(config, name, password)
        .map(Verified::System)
        .map_err(|why| AuthError::Refused(format!("system account: {why}")))
}

/// What a verified login may do and where, under `config` (the server's,
/// or the user's own from user_config_dir).
pub(crate) fn identity(
    config: &Config,
    accounts: &system::AccountCache,
    lists: &Lists,
    verified: Verified,
    switching: Switching,
) -> Result<Identity, AuthError> {
    let anonymous_perms = Permissions {
        download: true,
        upload: config.anon_upload_enable,
        mkdir: config.anon_mkdir_write_enable,
        overwrite: config.anon_other_write_enable,
        delete: config.anon_other_write_enable,
        rename: config.anon_other_write_enable,
        rmdir: config.anon_other_write_enable,
    };
    let base = |name: String, kind, root: String, start: String, perms, umask| Identity {
        name,
        kind,
        root: PathBuf::from(root),
        start,
        perms: allowed(config, perms),
        umask,
        world_readable_only: false,
        anon_password: None,
        run_as: None,
        uploads_to: None,
    };
    match verified {
        Verified::Anonymous { password } => Ok(Identity {
            world_readable_only: config.anon_world_readable_only,
            anon_password: Some(password),
            run_as: mapped(accounts, &config.ftp_username, "ftp_username", switching)?,
            uploads_to: match config.chown_uploads {
                true => Some(upload_owner(accounts, config)?),
                false => None,
            },
            ..base(
                "ftp".into(),
                AccountKind::Anonymous,
                config.anon_root.clone(),
                "/".into(),
                anonymous_perms,
                config.anon_umask,
            )
        }),
        Verified::Virtual(user) => {
            let root = local_root(config, &user.name).unwrap_or(user.home);
            Ok(Identity {
                run_as: mapped(accounts, &config.guest_username, "guest_username", switching)?,
                ..base(user.name, AccountKind::Virtual, root, "/".into(), user.perms, config.local_umask)
            })
        }
        Verified::System(account) => {
            let home = local_root(config, &account.name).unwrap_or_else(|| account.home.clone());
            let listed =
                config.chroot_list_enable && lists.chroot_list.as_ref().is_some_and(|l| l.contains(&account.name));
            // chroot_list_file names the exceptions to chroot_local_user (vsftpd).
            let jailed = config.chroot_local_user != listed;
            let (root, start) = match (jailed, config.passwd_chroot_enable && jailed, home.split_once("/./")) {
                (true, true, Some((top, rest))) => (top.to_string(), format!("/{rest}")),
                (true, _, _) => (home, "/".to_string()),
                (false, _, _) => ("/".to_string(), home),
            };
            if !config.guest_enable {
                return Ok(Identity {
                    run_as: Some(RunAs { account: account.name.clone(), id: account.id }),
                    ..base(account.name, AccountKind::System, root, start, Permissions::ALL, config.local_umask)
                });
            }
            // guest_enable: vsftpd's virtual users, running as guest_username.
            let guest = accounts
                .lookup(&config.guest_username)
                .map_err(|e| AuthError::Refused(format!("guest_username: {e}")))?
                .ok_or_else(|| {
                    AuthError::Refused(format!("guest_username={}: no such account", config.guest_username))
                })?;
            let (root, start) = match config.local_root.is_empty() {
                true => (guest.home.clone(), "/".to_string()),
                false => (root, start),
            };
            let (perms, umask) = match config.virtual_use_local_privs {
                true => (Permissions::ALL, config.local_umask),
                false => (anonymous_perms, config.anon_umask),
            };
            Ok(Identity {
                run_as: mapped(accounts, &config.guest_username, "guest_username", switching)?,
                ..base(account.name, AccountKind::Virtual, root, start, perms, umask)
            })
        }
    }
}

/// local_root for `user`, with user_sub_token replaced by the name.
fn local_root(config: &Config, user: &str) -> Option<String> {
    match (config.local_root.as_str(), config.user_sub_token.as_str()) {
        ("", _) => None,
        (root, "") => Some(root.to_owned()),
        (root, token) => Some(root.replace(token, user)),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_errors_say_what_happened() {
        assert_eq!(AuthError::Denied.to_string(), "login denied");
        assert_eq!(AuthError::UsersFile("users:2: bad hash".into()).to_string(), "users file: users:2: bad hash");
        assert_eq!(AuthError::Refused("account locked".into()).to_string(), "login refused: account locked");
    }
}
