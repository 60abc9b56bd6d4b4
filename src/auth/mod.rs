//! Logins: anonymous policy and virtual users. Decides who a session is;
//! never touches the session's files.

pub mod hash;
pub mod identity;
pub mod users;

use crate::config::Config;
pub use identity::{AccountKind, Identity, WritePolicy};
use std::path::PathBuf;
use users::UserFile;

#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    /// Wrong password, unknown user, anonymous disabled: all look the same to the client.
    Denied,
    /// The users file could not be read (logged; the client sees a denial).
    UsersFile(String),
}

/// Whether a USER name asks for an anonymous login.
pub fn is_anonymous_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("anonymous") || name.eq_ignore_ascii_case("ftp")
}

/// Checks a USER/PASS pair against the config and the users file.
pub fn authenticate(config: &Config, users: &UserFile, name: &str, password: &str) -> Result<Identity, AuthError> {
    if is_anonymous_name(name) {
        if !config.anonymous_enable {
            return Err(AuthError::Denied);
        }
        let w = config.write_enable;
        return Ok(Identity {
            name: "ftp".into(),
            kind: AccountKind::Anonymous,
            root: PathBuf::from(&config.anon_root),
            write: WritePolicy {
                upload: w && config.anon_upload_enable,
                mkdir: w && config.anon_mkdir_write_enable,
                modify: w && config.anon_other_write_enable,
            },
            umask: config.anon_umask,
            anon_password: Some(password.to_owned()),
        });
    }
    let user = users.lookup(name).map_err(|e| AuthError::UsersFile(e.0))?;
    let Some(user) = user.filter(|u| hash::verify(password, &u.hash)) else {
        return Err(AuthError::Denied);
    };
    let w = config.write_enable && user.write;
    Ok(Identity {
        name: user.name,
        kind: AccountKind::Virtual,
        root: PathBuf::from(user.home),
        write: WritePolicy { upload: w, mkdir: w, modify: w },
        umask: config.local_umask,
        anon_password: None,
    })
}
