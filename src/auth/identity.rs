//! What a logged-in session is: who, where its root is, and what it may change.

use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// `anonymous`/`ftp` (xferlog access mode `a`).
    Anonymous,
    /// A user from the virtual users file (xferlog access mode `g`, guest).
    Virtual,
}

/// What a session may change on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WritePolicy {
    /// STOR/STOU of new files.
    pub upload: bool,
    /// MKD.
    pub mkdir: bool,
    /// Overwrite, APPE, DELE, RMD, RNFR/RNTO, SITE CHMOD, MFMT.
    pub modify: bool,
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub name: String,
    pub kind: AccountKind,
    pub root: PathBuf,
    pub write: WritePolicy,
    pub umask: u32,
    /// For anonymous logins: the password given (xferlog logs it as the user).
    pub anon_password: Option<String>,
}

impl Identity {
    /// The user name xferlog records: the password for anonymous logins.
    pub fn xferlog_name(&self) -> &str {
        self.anon_password.as_deref().filter(|p| !p.is_empty()).unwrap_or(&self.name)
    }
}
