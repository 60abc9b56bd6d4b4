//! What a logged-in session is: who, where its root is, what it may do, and
//! whose file permissions the kernel applies to it.

use crate::sys::creds::FsIdentity;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccountKind {
    /// `anonymous`/`ftp` (xferlog access mode `a`).
    Anonymous,
    /// A user from the virtual users file (xferlog access mode `g`, guest).
    Virtual,
    /// A system account from /etc/passwd (xferlog access mode `r`, real).
    System,
}

/// What a session may do, checked before the kernel checks the file
/// permissions of the account it runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Permissions {
    /// RETR.
    pub(crate) download: bool,
    /// STOR/STOU of new files.
    pub(crate) upload: bool,
    /// STOR over an existing file, APPE, MFMT, SITE CHMOD.
    pub(crate) overwrite: bool,
    /// DELE.
    pub(crate) delete: bool,
    /// RNFR/RNTO.
    pub(crate) rename: bool,
    /// MKD.
    pub(crate) mkdir: bool,
    /// RMD.
    pub(crate) rmdir: bool,
}

impl Permissions {
    /// The names the users file uses, in order.
    pub(crate) const NAMES: [&'static str; 7] =
        ["download", "upload", "overwrite", "delete", "rename", "mkdir", "rmdir"];

    pub(crate) const ALL: Permissions = Permissions {
        download: true,
        upload: true,
        overwrite: true,
        delete: true,
        rename: true,
        mkdir: true,
        rmdir: true,
    };
    pub(crate) const READ_ONLY: Permissions = Permissions { download: true, ..Permissions::NONE };
    pub(crate) const NONE: Permissions = Permissions {
        download: false,
        upload: false,
        overwrite: false,
        delete: false,
        rename: false,
        mkdir: false,
        rmdir: false,
    };

    fn flag(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "download" => &mut self.download,
            "upload" => &mut self.upload,
            "overwrite" => &mut self.overwrite,
            "delete" => &mut self.delete,
            "rename" => &mut self.rename,
            "mkdir" => &mut self.mkdir,
            "rmdir" => &mut self.rmdir,
            _ => return None,
        })
    }

    /// Parses users-file flags: `ro` (download only) or `rw` (everything),
    /// then permission names to add and `-name` to take away, comma-separated:
    /// `rw,-delete,-rmdir`, `ro,upload`, `upload` (a drop box).
    pub(crate) fn parse(flags: &str) -> Result<Permissions, String> {
        let mut p = Permissions::NONE;
        let mut any = false;
        for flag in flags.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            any = true;
            match flag {
                "ro" => p = Permissions::READ_ONLY,
                "rw" => p = Permissions::ALL,
                _ => {
                    let (name, on) = match flag.strip_prefix('-') {
                        Some(name) => (name, false),
                        None => (flag, true),
                    };
                    *p.flag(name).ok_or_else(|| {
                        format!("unknown permission '{flag}' (use ro, rw, or [-]{})", Self::NAMES.join("|"))
                    })? = on;
                }
            }
        }
        if any { Ok(p) } else { Err("missing permissions (ro, rw or a list of them)".into()) }
    }
}

/// The account a session's file access runs as (when rftpd may switch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunAs {
    /// The account name (for logs).
    pub(crate) account: String,
    pub(crate) id: FsIdentity,
}

#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub(crate) name: String,
    pub(crate) kind: AccountKind,
    pub(crate) root: PathBuf,
    /// Where the session starts, inside the root ("/" unless a system user
    /// is not jailed in the home directory).
    pub(crate) start: String,
    pub(crate) perms: Permissions,
    pub(crate) umask: u32,
    /// Anonymous sessions may only download files everyone may read.
    pub(crate) world_readable_only: bool,
    /// For anonymous logins: the password given (xferlog logs it as the user).
    pub(crate) anon_password: Option<String>,
    /// None: file access runs as the server's own account.
    pub(crate) run_as: Option<RunAs>,
    /// chown_uploads: new uploads are given to this account (uid, gid) with this mode.
    pub(crate) uploads_to: Option<(u32, u32, u32)>,
}

impl Identity {
    /// The user name xferlog records: the password for anonymous logins.
    pub(crate) fn xferlog_name(&self) -> &str {
        self.anon_password.as_deref().filter(|p| !p.is_empty()).unwrap_or(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_build_permissions() {
        assert_eq!(Permissions::parse("ro").unwrap(), Permissions::READ_ONLY);
        assert_eq!(Permissions::parse("rw").unwrap(), Permissions::ALL);
        let p = Permissions::parse("rw,-delete, -rmdir").unwrap();
        assert!(p.upload && p.overwrite && !p.delete && !p.rmdir && p.rename);
        let drop_box = Permissions::parse("upload").unwrap();
        assert_eq!(drop_box, Permissions { upload: true, ..Permissions::NONE });
        assert!(Permissions::parse("ro,upload,mkdir").unwrap().mkdir);
        assert!(Permissions::parse("admin").unwrap_err().contains("unknown permission 'admin'"));
        assert!(Permissions::parse("").is_err());
    }

    /// Each name grants exactly its own permission, and `-name` takes
    /// exactly that one away from `rw`.
    #[test]
    fn each_permission_name_sets_its_own_flag() {
        let count = |p: Permissions| {
            [p.download, p.upload, p.overwrite, p.delete, p.rename, p.mkdir, p.rmdir].iter().filter(|&&b| b).count()
        };
        for name in Permissions::NAMES {
            let mut one = Permissions::parse(name).unwrap();
            assert_eq!(count(one), 1, "{name}");
            *one.flag(name).unwrap() = false;
            assert_eq!(one, Permissions::NONE, "{name} set another flag");
            let mut all_but = Permissions::parse(&format!("rw,-{name}")).unwrap();
            assert_eq!(count(all_but), 6, "-{name}");
            *all_but.flag(name).unwrap() = true;
            assert_eq!(all_but, Permissions::ALL, "-{name} cleared another flag");
        }
    }
}
