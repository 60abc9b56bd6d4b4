//! Name lists read from files, one entry per line, `#` comments: vsftpd's
//! userlist_file, chroot_list_file, banned_email_file, email_password_file.

use std::collections::HashSet;
use std::io::{self, Read};

/// Lists are small; a bigger file is refused rather than read into memory.
const MAX_LIST_FILE: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NameList(HashSet<String>);

/// The name lists logins are checked against, each loaded when its key is on.
#[derive(Debug, Default)]
pub(crate) struct Lists {
    /// userlist_file (userlist_enable).
    pub(crate) userlist: Option<NameList>,
    /// chroot_list_file (chroot_list_enable).
    pub(crate) chroot_list: Option<NameList>,
    /// banned_email_file (deny_email_enable).
    pub(crate) banned_emails: Option<NameList>,
    /// email_password_file (secure_email_list_enable).
    pub(crate) email_passwords: Option<NameList>,
}

impl NameList {
    pub(crate) fn parse(text: &str) -> NameList {
        NameList(
            text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect(),
        )
    }

    /// Reads a list file; the error names the path.
    pub(crate) fn load(path: &str) -> io::Result<NameList> {
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_LIST_FILE).read_to_string(&mut text))
            .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
        Ok(NameList::parse(&text))
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_name_per_line_with_comments() {
        let l = NameList::parse("# users\nalice\n  bob  \n\n#carol\n");
        assert!(l.contains("alice") && l.contains("bob"));
        assert!(!l.contains("carol") && !l.contains("#carol") && !l.contains(""));
    }
}
