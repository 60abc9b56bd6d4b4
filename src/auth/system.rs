//! System accounts: /etc/passwd (through NSS), /etc/shadow, /etc/ftpusers
//! and /etc/shells, checked the way PAM's pam_unix, pam_listfile and
//! pam_shells would for vsftpd; built with the `pam` feature, the password
//! and account checks go through PAM instead of /etc/shadow. The file checks
//! are pure functions over text so they can be tested without touching the
//! host's accounts.

use crate::config::Config;
use crate::sys::creds::FsIdentity;
use nix::unistd::{Gid, User, getgrouplist};
use std::ffi::CString;
use std::io::Read;

#[cfg(not(feature = "pam"))]
const SHADOW: &str = "/etc/shadow";
const SHELLS: &str = "/etc/shells";
/// /etc/shadow, /etc/shells and the ftpusers file are read up to this size.
const MAX_ACCOUNT_FILE: u64 = 16 * 1024 * 1024;

/// A system account as NSS describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) name: String,
    pub(crate) home: String,
    pub(crate) shell: String,
    pub(crate) id: FsIdentity,
    /// The password field of /etc/passwd (normally `x`: see /etc/shadow).
    passwd_hash: String,
}

/// Looks an account up by name; `Ok(None)` when there is none.
pub(crate) fn lookup(name: &str) -> Result<Option<Account>, String> {
    let Some(user) = User::from_name(name).map_err(|e| format!("looking up '{name}': {e}"))? else {
        return Ok(None);
    };
    let cname = CString::new(name).map_err(|_| format!("'{name}' has a NUL byte"))?;
    let groups = getgrouplist(&cname, user.gid).map_err(|e| format!("groups of '{name}': {e}"))?;
    Ok(Some(Account {
        name: user.name,
        home: user.dir.to_string_lossy().into_owned(),
        shell: user.shell.to_string_lossy().into_owned(),
        id: FsIdentity { uid: user.uid.as_raw(), gid: user.gid.as_raw(), groups: raw_groups(groups) },
        passwd_hash: user.passwd.to_string_lossy().into_owned(),
    }))
}

/// How long a cached account lookup is trusted when /etc/passwd and
/// /etc/group have not changed (other NSS sources have no mtime to watch).
const ACCOUNT_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

type CachedAccount = (std::time::Instant, [Option<std::time::SystemTime>; 2], Option<Account>);

/// Lookups of the few accounts every login maps to (ftp_username,
/// guest_username, chown_username): a lookup reads /etc/passwd and scans
/// /etc/group, which would otherwise dominate the cost of a login.
#[derive(Debug, Default)]
pub(crate) struct AccountCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, CachedAccount>>,
}

impl AccountCache {
    /// Like [`lookup`], served from the cache while it is fresh.
    pub(crate) fn lookup(&self, name: &str) -> Result<Option<Account>, String> {
        let mtime = |p: &str| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let stamp = [mtime("/etc/passwd"), mtime("/etc/group")];
        let now = std::time::Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, seen, account)) = entries.get(name)
            && *seen == stamp
            && now.duration_since(*at) < ACCOUNT_CACHE_TTL
        {
            return Ok(account.clone());
        }
        let account = lookup(name)?;
        // Only the configured names are looked up here, so the map stays tiny.
        entries.insert(name.to_owned(), (now, stamp, account.clone()));
        Ok(account)
    }
}

fn raw_groups(groups: Vec<Gid>) -> Vec<u32> {
    let mut g: Vec<u32> = groups.into_iter().map(Gid::as_raw).collect();
    g.sort_unstable();
    g.dedup();
    g
}

fn read_small(path: &str) -> Result<String, String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_ACCOUNT_FILE).read_to_string(&mut text))
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(text)
}

/// Whether `name` is listed in ftpusers-style text (one name per line, `#` comments).
pub(crate) fn listed(text: &str, name: &str) -> bool {
    text.lines().map(str::trim).any(|l| !l.starts_with('#') && l == name)
}

/// Whether `shell` is listed in /etc/shells-style text. An empty shell
/// means /bin/sh (passwd(5)).
pub(crate) fn shell_listed(text: &str, shell: &str) -> bool {
    let shell = if shell.is_empty() { "/bin/sh" } else { shell };
    text.lines().map(str::trim).any(|l| !l.starts_with('#') && l == shell)
}

/// Finds `name`'s hash in /etc/shadow text and checks the account may log
/// in `today` (days since 1970-01-01): not locked, not expired, and no
/// password change pending (FTP has no way to change it).
#[cfg(any(not(feature = "pam"), test))]
pub(crate) fn shadow_hash<'a>(text: &'a str, name: &str, today: i64) -> Result<Option<&'a str>, &'static str> {
    let Some(line) = text.lines().find(|l| l.split(':').next() == Some(name)) else {
        return Ok(None);
    };
    let f: Vec<&str> = line.split(':').collect();
    let day = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok());
    let hash = f.get(1).copied().unwrap_or("");
    if hash.is_empty() {
        return Err("empty password");
    }
    if hash.starts_with('!') || hash.starts_with('*') {
        return Err("account locked");
    }
    if day(7).is_some_and(|expire| today >= expire) {
        return Err("account expired");
    }
    match (day(2), day(4)) {
        (Some(0), _) => return Err("password change required"),
        (Some(changed), Some(max)) if max >= 0 && today > changed + max => return Err("password expired"),
        _ => {}
    }
    Ok(Some(hash))
}

#[cfg(not(feature = "pam"))]
fn today() -> i64 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    (secs / 86_400) as i64
}

crate::text_error! {
    /// Why a system login was refused, for the log (the client only sees 530).
    LoginRefused
}

/// Checks `name`/`password` against the system's accounts: not listed in
/// `ftpusers_file`, a shell in /etc/shells (`check_shell`), not uid 0, then
/// the password and account state.
pub(crate) fn verify(config: &Config, name: &str, password: &str) -> Result<Account, LoginRefused> {
    let ftpusers = config.ftpusers_file.as_str();
    if !ftpusers.is_empty() {
        match read_small(ftpusers) {
            Ok(text) if listed(&text, name) => return Err(format!("listed in {ftpusers}").into()),
            Ok(_) => {}
            Err(e) if e.contains("No such file") => {}
            Err(e) => return Err(format!("cannot read ftpusers_file {e}").into()),
        }
    }
    let account = lookup(name)?.ok_or("no such account")?;
    if account.id.uid == 0 {
        return Err("uid 0 may not log in".into());
    }
    if config.check_shell && !shell_listed(&read_small(SHELLS)?, &account.shell) {
        return Err(format!("shell {} is not in {SHELLS}", account.shell).into());
    }
    if !account.home.starts_with('/') {
        return Err(format!("home '{}' is not an absolute path", account.home).into());
    }
    check_password(config, &account, password)?;
    Ok(account)
}

#[cfg(feature = "pam")]
fn check_password(config: &Config, account: &Account, password: &str) -> Result<(), LoginRefused> {
    crate::sys::pam::authenticate(&config.pam_service_name, &account.name, password).map_err(|e| e.0.into())
}

#[cfg(not(feature = "pam"))]
fn check_password(_config: &Config, account: &Account, password: &str) -> Result<(), LoginRefused> {
    let name = account.name.as_str();
    let shadow = read_small(SHADOW)?;
    let hash = match shadow_hash(&shadow, name, today())? {
        Some(h) => h,
        None if account.passwd_hash != "x" => account.passwd_hash.as_str(),
        None => return Err(format!("no entry in {SHADOW}").into()),
    };
    if !super::hash::verify(password, hash) {
        return Err("wrong password".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadow_rules() {
        let text = "root:*:19000:0:99999:7:::\n\
                    ok:$6$s$h:19000:0:99999:7:::\n\
                    locked:!$y$j9T$x:19000:0:99999:7:::\n\
                    empty::19000:0:99999:7:::\n\
                    expired:$6$s$h:19000:0:99999:7::20000:\n\
                    aged:$6$s$h:19000:0:30:7:::\n\
                    forced:$6$s$h:0:0:99999:7:::\n\
                    plain:$6$s$h::::::\n";
        assert_eq!(shadow_hash(text, "ok", 20_000), Ok(Some("$6$s$h")));
        assert_eq!(shadow_hash(text, "nobody", 20_000), Ok(None));
        assert_eq!(shadow_hash(text, "locked", 20_000), Err("account locked"));
        assert_eq!(shadow_hash(text, "root", 20_000), Err("account locked"));
        assert_eq!(shadow_hash(text, "empty", 20_000), Err("empty password"));
        assert_eq!(shadow_hash(text, "expired", 19_999), Ok(Some("$6$s$h")));
        assert_eq!(shadow_hash(text, "expired", 20_000), Err("account expired"));
        assert_eq!(shadow_hash(text, "aged", 19_030), Ok(Some("$6$s$h")));
        assert_eq!(shadow_hash(text, "aged", 19_031), Err("password expired"));
        assert_eq!(shadow_hash(text, "forced", 20_000), Err("password change required"));
        assert_eq!(shadow_hash(text, "plain", 30_000), Ok(Some("$6$s$h")));
    }

    #[test]
    fn deny_list_and_shells() {
        let ftpusers = "# /etc/ftpusers\nroot\n  daemon \n#alice\n";
        assert!(listed(ftpusers, "root") && listed(ftpusers, "daemon"));
        assert!(!listed(ftpusers, "alice") && !listed(ftpusers, "roo"));
        let shells = "# /etc/shells\n/bin/sh\n/bin/bash\n";
        assert!(shell_listed(shells, "/bin/bash") && shell_listed(shells, ""));
        assert!(!shell_listed(shells, "/usr/sbin/nologin"));
    }
}
