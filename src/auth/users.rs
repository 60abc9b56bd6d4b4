//! The virtual users file: one user per line, `name:crypt-hash:home:flags`
//! with flags `ro`, `rw` and permission names (see [`Permissions::parse`]);
//! `#` comments and blank lines allowed. Parsing is
//! pure; [`UserFile`] re-reads the file when it changes, so `rftpd passwd`
//! takes effect without a restart.

use super::identity::Permissions;
use crate::limits::MAX_USERS_FILE_BYTES;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub(crate) name: String,
    pub(crate) hash: String,
    pub(crate) home: String,
    pub(crate) perms: Permissions,
    /// The flags as written, kept when `rftpd passwd` rewrites the line.
    pub(crate) flags: String,
}

/// A users-file error naming the file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsersError(pub(crate) String);

impl std::fmt::Display for UsersError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsersError {}

/// Whether `name` is acceptable as a user name.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

/// Parses one line; `Ok(None)` for comments and blank lines.
pub(crate) fn parse_line(line: &str) -> Result<Option<User>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let fields: Vec<&str> = line.split(':').collect();
    let [name, hash, home, flags] = fields[..] else {
        return Err(format!("expected name:hash:home:flags, found {} fields", fields.len()));
    };
    if !valid_name(name) {
        return Err(format!("'{name}' is not a valid user name"));
    }
    if hash.is_empty() {
        return Err(format!("user {name}: empty password hash"));
    }
    if !home.starts_with('/') {
        return Err(format!("user {name}: home '{home}' is not an absolute path"));
    }
    let perms = Permissions::parse(flags).map_err(|e| format!("user {name}: {e}"))?;
    Ok(Some(User {
        name: name.to_owned(),
        hash: hash.to_owned(),
        home: home.to_owned(),
        perms,
        flags: flags.trim().to_owned(),
    }))
}

/// Parses a whole file; the error names `file` and the line.
pub(crate) fn parse(file: &str, text: &str) -> Result<Vec<User>, UsersError> {
    let mut users: Vec<User> = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        let loc = |m: String| UsersError(format!("{file}:{}: {m}", idx + 1));
        if let Some(user) = parse_line(line).map_err(loc)? {
            if users.iter().any(|u| u.name == user.name) {
                return Err(loc(format!("user {} is listed twice", user.name)));
            }
            users.push(user);
        }
    }
    Ok(users)
}

/// Reads and parses a users file.
pub(crate) fn load(path: &str) -> Result<Vec<User>, UsersError> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_USERS_FILE_BYTES).read_to_string(&mut text))
        .map_err(|e| UsersError(format!("{path}: cannot read: {e}")))?;
    parse(path, &text)
}

/// Everything wrong with a users file, line by line, for `--check-config`:
/// lines that do not parse, hashes no password can match, homes that are
/// not directories. Each is (line number, what is wrong).
pub(crate) fn check(text: &str) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        let n = idx + 1;
        let user = match parse_line(line) {
            Ok(Some(u)) => u,
            Ok(None) => continue,
            Err(m) => {
                problems.push((n, m));
                continue;
            }
        };
        if names.contains(&user.name) {
            problems.push((n, format!("user {} is listed twice", user.name)));
        }
        if !super::hash::well_formed(&user.hash) {
            problems.push((
                n,
                format!("user {}: the password hash is not a crypt(3) hash (make one with rftpd passwd)", user.name),
            ));
        }
        if !std::path::Path::new(&user.home).is_dir() {
            problems.push((n, format!("user {}: home {} is not a directory", user.name, user.home)));
        }
        names.push(user.name);
    }
    problems
}

type Cached = (Option<SystemTime>, Arc<Vec<User>>);

/// The users file, re-read whenever its modification time changes.
#[derive(Debug)]
pub(crate) struct UserFile {
    path: String,
    cache: Mutex<Option<Cached>>,
}

impl UserFile {
    pub(crate) fn new(path: &str) -> UserFile {
        UserFile { path: path.to_owned(), cache: Mutex::new(None) }
    }

    /// Finds a user, re-reading the file first if it changed. A file that
    /// does not exist holds no users (as --check-config treats it).
    pub(crate) fn lookup(&self, name: &str) -> Result<Option<User>, UsersError> {
        if self.path.is_empty() {
            return Ok(None);
        }
        let meta = std::fs::metadata(&self.path);
        if meta.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
            return Ok(None);
        }
        let mtime = meta.and_then(|m| m.modified()).ok();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = matches!(&*cache, Some((t, _)) if *t == mtime && mtime.is_some());
        if !fresh {
            *cache = Some((mtime, Arc::new(load(&self.path)?)));
        }
        let users = &cache.as_ref().expect("just filled").1;
        Ok(users.iter().find(|u| u.name == name).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_printable_without_colons() {
        assert!(valid_name("alice") && valid_name("a.b-c_d@e") && valid_name(&"x".repeat(64)));
        for bad in ["", "a:b", "a b", "tab\there", "del\x7f", "é", &"x".repeat(65)] {
            assert!(!valid_name(bad), "{bad:?}");
        }
        assert_eq!(UsersError("users:3: bad line".into()).to_string(), "users:3: bad line");
    }

    #[test]
    fn parses_users_comments_and_flags() {
        let users = parse("u", "# demo\n\nalice:$6$x$y:/srv/alice:rw\nbob:$6$x$z:/srv/bob:ro\n").unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!((users[0].perms, users[1].perms), (Permissions::ALL, Permissions::READ_ONLY));
        assert_eq!(users[1].home, "/srv/bob");
    }

    #[test]
    fn check_reports_every_problem_with_its_line() {
        let hash = "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA";
        let text = format!("ok:{hash}:/tmp:rw\nbad line\nh:notahash:/tmp:rw\nd:{hash}:/no/such/dir:ro\n");
        let text = text.as_str();
        let lines: Vec<usize> = check(text).iter().map(|(n, _)| *n).collect();
        assert_eq!(lines, vec![2, 3, 4], "{:?}", check(text));
    }

    #[test]
    fn a_missing_file_holds_no_users() {
        assert_eq!(UserFile::new("/nonexistent/rftpd.users").lookup("alice"), Ok(None));
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        assert_eq!(
            parse("/etc/u", "ok:$6$a$b:/h:rw\nbad line\n").unwrap_err().0,
            "/etc/u:2: expected name:hash:home:flags, found 1 fields"
        );
        assert!(parse("u", "a:$6$a$b:relative:rw").unwrap_err().0.contains("not an absolute path"));
        assert!(parse("u", "a:$6$a$b:/h:admin").unwrap_err().0.contains("unknown permission"));
        assert!(parse("u", "a:$6$a$b:/h:rw\na:$6$a$b:/h:ro").unwrap_err().0.contains("twice"));
        assert!(parse("u", "a::/h:rw").is_err());
    }
}

/// Adds or updates `name` in users-file text, keeping every other line
/// (comments included) as it is. A new user needs `home`; an existing one
/// keeps its home and permission unless new ones are given.
pub(crate) fn upsert(
    text: &str,
    name: &str,
    hash: &str,
    home: Option<&str>,
    perm: Option<&str>,
) -> Result<String, String> {
    if !valid_name(name) {
        return Err(format!("'{name}' is not a valid user name"));
    }
    let mut out = String::with_capacity(text.len() + 128);
    let mut found = false;
    for line in text.lines() {
        match parse_line(line) {
            Ok(Some(u)) if u.name == name => {
                found = true;
                let home = home.unwrap_or(&u.home);
                let perm = perm.unwrap_or(&u.flags);
                out.push_str(&format!("{name}:{hash}:{home}:{perm}\n"));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if !found {
        let home = home.ok_or_else(|| format!("user {name} is new: give a home directory with -d"))?;
        out.push_str(&format!("{name}:{hash}:{home}:{}\n", perm.unwrap_or("ro")));
    }
    // The result must parse as a whole, so a bad home can't be written.
    parse("users file", &out).map_err(|e| e.0)?;
    Ok(out)
}

#[cfg(test)]
mod upsert_tests {
    use super::*;

    #[test]
    fn adds_and_updates_keeping_comments() {
        let text = "# users\nalice:$6$a$b:/srv/alice:rw\n";
        let t = upsert(text, "bob", "$6$c$d", Some("/srv/bob"), None).unwrap();
        assert_eq!(t, "# users\nalice:$6$a$b:/srv/alice:rw\nbob:$6$c$d:/srv/bob:ro\n");
        let t = upsert(&t, "alice", "$6$new$x", None, None).unwrap();
        assert!(t.contains("alice:$6$new$x:/srv/alice:rw\n"));
        assert!(upsert(text, "carol", "$6$x$y", None, None).is_err());
        assert!(upsert(text, "carol", "$6$x$y", Some("relative"), None).is_err());
    }
}
