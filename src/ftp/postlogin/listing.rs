//! LIST, NLST, MLSD over the data connection; MLST and STAT with a path over
//! the control connection. Listings are built whole (bounded by
//! MAX_LISTING_ENTRIES) before the data connection is used.

use super::transfer::{Kind, TransferInfo, Written, start};
use super::{LoggedIn, require};
use crate::auth::Permissions;
use crate::ftp::command::TransferType;
use crate::ftp::control::Control;
use crate::ftp::error::{FtpError, FtpResult};
use crate::ftp::format::{self, FactSet, LsEntry, MlsxEntry};
use crate::ftp::helper::Payload;
use crate::ftp::memory::Listing;
use crate::ftp::reply::{Reply, ReplyCode};
use crate::ftp::state::{ClientOptions, Conn, Response};
// `*` and `?` wildcards (NLST/LIST `*.txt`, as tnftp's mget sends).
use crate::config::patterns::glob_match as wildcard_match;
use crate::jail::{Entry, VirtualPath, is_dir, is_regular, is_symlink};
use crate::limits::MAX_LISTING_ENTRIES;
use log::warn;
use nix::sys::stat::FileStat;
use std::collections::HashMap;

/// Whether a listing shows names starting with a dot (`ls -a`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DotFiles {
    Hidden,
    Shown,
}

/// Whether LIST descends into subdirectories (`ls -R`, with ls_recurse_enable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Depth {
    One,
    Recursive,
}

/// The ls options a LIST asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LsOptions {
    dots: DotFiles,
    depth: Depth,
}

/// `LIST -laR dir` → (options, "dir"). Leading words starting with `-`
/// are ls options: `a` shows dot files, `R` recurses; the rest are
/// accepted and ignored.
fn split_options(arg: Option<&str>) -> (LsOptions, Option<&str>) {
    let mut rest = arg.unwrap_or("").trim_start();
    let mut options = LsOptions { dots: DotFiles::Hidden, depth: Depth::One };
    while rest.starts_with('-') {
        let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        if word.contains('a') {
            options.dots = DotFiles::Shown;
        }
        if word.contains('R') {
            options.depth = Depth::Recursive;
        }
        rest = tail.trim_start();
    }
    (options, (!rest.is_empty()).then_some(rest))
}

/// The options a listing runs with: force_dot_files shows dot files
/// always, and -R counts only with ls_recurse_enable.
fn effective(conn: &Conn<'_>, asked: LsOptions) -> LsOptions {
    LsOptions {
        dots: if conn.config.force_dot_files { DotFiles::Shown } else { asked.dots },
        depth: if conn.config.ls_recurse_enable { asked.depth } else { Depth::One },
    }
}

/// dirlist_enable=NO refuses every listing.
fn listing_allowed(conn: &Conn<'_>) -> Result<(), FtpError> {
    require(conn.config.dirlist_enable)
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// How owners and groups are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ids {
    /// hide_ids: every owner and group is `ftp`.
    Hidden,
    /// text_userdb_names=NO: the numbers.
    Numbers,
    /// Names, the number where an id has none.
    Names,
}

/// Owner and group names, looked up once per listing.
struct Names {
    ids: Ids,
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl Names {
    fn new(ids: Ids) -> Names {
        Names { ids, users: HashMap::new(), groups: HashMap::new() }
    }

    /// (owner, group) as the listing shows them.
    fn of(&mut self, uid: u32, gid: u32) -> (&str, &str) {
        match self.ids {
            Ids::Hidden => return ("ftp", "ftp"),
            Ids::Numbers => {
                let none = |_| None;
                return (cached(&mut self.users, uid, none), cached(&mut self.groups, gid, none));
            }
            Ids::Names => {}
        }
        let user = |id: u32| nix::unistd::User::from_uid(id.into()).ok().flatten().map(|u| u.name);
        let group = |id: u32| nix::unistd::Group::from_gid(id.into()).ok().flatten().map(|g| g.name);
        (cached(&mut self.users, uid, user), cached(&mut self.groups, gid, group))
    }
}

/// A name from the cache or `lookup`; the number when there is none.
fn cached(map: &mut HashMap<u32, String>, id: u32, lookup: impl Fn(u32) -> Option<String>) -> &str {
    map.entry(id).or_insert_with(|| lookup(id).unwrap_or_else(|| id.to_string()))
}

/// What a listing covers: one file, or entries of a directory.
enum Target {
    File { path: VirtualPath, stat: FileStat, link_target: Option<String> },
    Dir { path: VirtualPath, entries: Vec<Entry> },
}

/// Resolves a LIST/NLST/STAT argument: a directory lists its entries, a file
/// itself, a wildcard in the last component the matching entries.
fn target(s: &LoggedIn, conn: &Conn<'_>, arg: Option<&str>, dots: DotFiles) -> Result<Target, FtpError> {
    listing_allowed(conn)?;
    let path = match arg {
        Some(text) => s.path(text)?,
        None => s.cwd.clone(),
    };
    let (dir, pattern) = match path.split_last() {
        Some((parent, name)) if has_wildcard(name.as_str()) => (parent, Some(name.as_str().to_owned())),
        _ => (path.clone(), None),
    };
    if pattern.is_none() {
        let st = s.jail.stat(&path)?;
        if !is_dir(&st) {
            let stat = s.jail.lstat(&path)?;
            let link_target = if is_symlink(&stat) {
                s.jail.read_link(&path).ok().map(|t| t.to_string_lossy().into_owned())
            } else {
                None
            };
            return Ok(Target::File { path, stat, link_target });
        }
    }
    let listing = s.jail.read_dir(&dir, MAX_LISTING_ENTRIES)?;
    if listing.truncated {
        warn!("session={} listing of {dir} cut at {MAX_LISTING_ENTRIES} entries", conn.sid);
    }
    let mut entries = listing.entries;
    entries.retain(|e| {
        let name = e.name.as_encoded_bytes();
        let visible =
            dots == DotFiles::Shown || !name.starts_with(b".") || pattern.as_ref().is_some_and(|p| p.starts_with('.'));
        visible && shown(conn, e) && pattern.as_ref().is_none_or(|p| wildcard_match(p.as_bytes(), name))
    });
    Ok(Target::Dir { path: dir, entries })
}

/// hide_file and deny_file names are left out of listings.
fn shown(conn: &Conn<'_>, e: &Entry) -> bool {
    let name = e.name.to_string_lossy();
    !conn.config.hide_file.matches(&name) && !conn.config.deny_file.matches(&name)
}

/// What every line of one `ls -l` listing shares: the id-name cache, the
/// clock and the zone offset (looked up once per listing, not per entry).
struct LsContext {
    names: Names,
    now: i64,
    offset: i64,
}

impl LsContext {
    fn new(conn: &Conn<'_>) -> LsContext {
        let now = crate::sys::time::now();
        let offset = if conn.config.use_localtime { crate::sys::time::local_offset(now) } else { 0 };
        let ids = match (conn.config.hide_ids, conn.config.text_userdb_names) {
            (true, _) => Ids::Hidden,
            (false, false) => Ids::Numbers,
            (false, true) => Ids::Names,
        };
        LsContext { names: Names::new(ids), now, offset }
    }

    /// Appends one line and its CRLF to `out`.
    fn line(&mut self, out: &mut String, stat: &FileStat, name: &str, link: Option<&str>) {
        let (owner, group) = self.names.of(stat.st_uid, stat.st_gid);
        let e = LsEntry {
            mode: stat.st_mode,
            nlink: stat.st_nlink,
            owner,
            group,
            size: stat.st_size as u64,
            mtime: stat.st_mtime,
            name,
            link_target: link,
        };
        format::push_ls_line(out, &e, self.now, self.offset);
        out.push_str("\r\n");
    }
}

/// The `ls -l` listing of a target, CRLF after every line, in one buffer.
fn ls_text(conn: &Conn<'_>, target: &Target) -> String {
    let mut ls = LsContext::new(conn);
    let mut out = String::new();
    match target {
        Target::File { path, stat, link_target } => ls.line(&mut out, stat, path.file_name(), link_target.as_deref()),
        Target::Dir { entries, .. } => {
            out.reserve(entries.len() * 80);
            for e in entries {
                let link = e.link_target.as_ref().map(|t| t.to_string_lossy());
                ls.line(&mut out, &e.stat, &e.name.to_string_lossy(), link.as_deref());
            }
        }
    }
    out
}

fn send_listing(
    s: &mut LoggedIn,
    conn: &Conn<'_>,
    control: &mut Control,
    verb: &'static str,
    path: VirtualPath,
    text: String,
) -> Result<Response, FtpError> {
    let info =
        TransferInfo { verb, path, kind: Kind::Listing, transfer_type: TransferType::Ascii, written: Written::InPlace };
    let mut bytes = text.into_bytes();
    bytes.shrink_to_fit();
    let Some(listing) = Listing::hold(bytes, conn.config.max_listing_memory << 20) else {
        warn!("session={} listing refused: the listings held in memory are at their limit", conn.sid);
        s.data = None;
        return Err(FtpError::ListingMemory);
    };
    start(s, conn, control, info, Payload::Buffer(listing), "Here comes the directory listing.".into())
}

/// Most directory levels LIST -R descends.
const MAX_RECURSION_DEPTH: usize = 32;

/// LIST -R: each subdirectory (depth first, in name order) as `./sub:`
/// followed by its lines, as `ls -lR` prints it; the listing stops at
/// MAX_LISTING_ENTRIES entries in all and MAX_RECURSION_DEPTH levels.
/// Symlinks to directories are not followed.
fn recurse(s: &LoggedIn, conn: &Conn<'_>, top: &VirtualPath, entries: &[Entry], dots: DotFiles, out: &mut String) {
    let mut budget = MAX_LISTING_ENTRIES.saturating_sub(entries.len());
    let subdirs = |base: &str, entries: &[Entry]| -> Vec<String> {
        entries
            .iter()
            .filter(|e| is_dir(&e.stat))
            .map(|e| format!("{base}/{}", e.name.to_string_lossy()))
            .rev()
            .collect()
    };
    let mut stack: Vec<(String, usize)> = subdirs(".", entries).into_iter().map(|d| (d, 1)).collect();
    while let Some((rel, depth)) = stack.pop() {
        if budget == 0 {
            warn!("session={} LIST -R of {top} cut at {MAX_LISTING_ENTRIES} entries", conn.sid);
            return;
        }
        let Ok(path) = top.resolve(&rel) else { continue };
        let Ok(t) = target(s, conn, Some(path.as_str()), dots) else { continue };
        let Target::Dir { entries, .. } = &t else { continue };
        out.push_str("\r\n");
        format::push_clean(out, &rel);
        out.push_str(":\r\n");
        out.push_str(&ls_text(conn, &t));
        budget = budget.saturating_sub(entries.len());
        if depth < MAX_RECURSION_DEPTH {
            stack.extend(subdirs(&rel, entries).into_iter().map(|d| (d, depth + 1)));
        }
    }
}

/// Drops the pending data connection before answering with an error, so the
/// next transfer does not pick up a stale one.
fn fail(s: &mut LoggedIn, e: FtpError) -> Result<Response, FtpError> {
    s.data = None;
    Err(e)
}

pub(crate) fn list(
    s: &mut LoggedIn,
    conn: &Conn<'_>,
    control: &mut Control,
    arg: Option<&str>,
) -> Result<Response, FtpError> {
    let (asked, arg) = split_options(arg);
    let options = effective(conn, asked);
    let t = match target(s, conn, arg, options.dots) {
        Ok(t) => t,
        Err(e) => return fail(s, e),
    };
    let mut text = ls_text(conn, &t);
    if let (Depth::Recursive, Target::Dir { path, entries }) = (options.depth, &t) {
        recurse(s, conn, path, entries, options.dots, &mut text);
    }
    let path = match t {
        Target::File { path, .. } | Target::Dir { path, .. } => path,
    };
    send_listing(s, conn, control, "LIST", path, text)
}

pub(crate) fn nlst(
    s: &mut LoggedIn,
    conn: &Conn<'_>,
    control: &mut Control,
    arg: Option<&str>,
) -> Result<Response, FtpError> {
    let (asked, arg) = split_options(arg);
    let t = match target(s, conn, arg, effective(conn, asked).dots) {
        Ok(t) => t,
        Err(e) => return fail(s, e),
    };
    let mut text = String::new();
    let mut add = |name: &str| {
        format::push_clean(&mut text, name);
        text.push_str("\r\n");
    };
    let path = match t {
        Target::File { path, .. } => {
            add(arg.unwrap_or(path.file_name()));
            path
        }
        Target::Dir { path, entries } => {
            entries.iter().for_each(|e| add(&e.name.to_string_lossy()));
            path
        }
    };
    send_listing(s, conn, control, "NLST", path, text)
}

/// RFC 3659 perm letters for what this session may really do.
fn perm(st: &FileStat, w: Permissions) -> String {
    let mut p = String::new();
    let mut add = |c: char, on: bool| {
        if on {
            p.push(c)
        }
    };
    if is_dir(st) {
        add('c', w.upload);
        add('d', w.rmdir);
        add('e', true);
        add('f', w.rename);
        add('l', true);
        add('m', w.mkdir);
        add('p', w.delete);
    } else {
        add('a', w.overwrite);
        add('d', w.delete);
        add('f', w.rename);
        add('r', w.download);
        add('w', w.overwrite);
    }
    p
}

/// One MLSx line appended to `out`. Symlinks are shown as what they point to
/// inside the root (`target` is that stat); a dangling link is `type=OS.unix=symlink`.
fn mlsx(
    out: &mut String,
    st: &FileStat,
    target: Option<&FileStat>,
    kind: Option<&str>,
    name: &str,
    w: Permissions,
    facts: FactSet,
) {
    let shown = target.unwrap_or(st);
    let kind = kind.unwrap_or(if is_symlink(shown) {
        "OS.unix=symlink"
    } else if is_dir(shown) {
        "dir"
    } else if is_regular(shown) {
        "file"
    } else {
        "OS.unix=special"
    });
    let e = MlsxEntry {
        kind,
        size: shown.st_size as u64,
        mtime: shown.st_mtime,
        perm: &perm(shown, w),
        dev: shown.st_dev,
        ino: shown.st_ino,
        mode: shown.st_mode,
        name,
    };
    format::push_mlsx_line(out, &e, facts)
}

pub(crate) fn mlsd(
    s: &mut LoggedIn,
    conn: &Conn<'_>,
    control: &mut Control,
    options: &ClientOptions,
    arg: Option<&str>,
) -> Result<Response, FtpError> {
    let path = listing_allowed(conn).and_then(|()| match arg {
        Some(text) => s.path(text),
        None => Ok(s.cwd.clone()),
    });
    let listing = path.and_then(|p| {
        let st = s.jail.stat(&p)?;
        if !is_dir(&st) {
            return Err(FtpError::MlsdNotADirectory);
        }
        Ok((p.clone(), st, s.jail.read_dir(&p, MAX_LISTING_ENTRIES)?))
    });
    let (path, dir_stat, listing) = match listing {
        Ok(l) => l,
        Err(e) => return fail(s, e),
    };
    let w = s.identity.perms;
    let mut text = String::with_capacity((listing.entries.len() + 1) * 100);
    mlsx(&mut text, &dir_stat, None, Some("cdir"), ".", w, options.facts);
    text.push_str("\r\n");
    for e in listing.entries.iter().filter(|e| shown(conn, e)) {
        let name = e.name.to_string_lossy();
        let target = if is_symlink(&e.stat) { s.jail.stat(&path.join(&name)).ok() } else { None };
        mlsx(&mut text, &e.stat, target.as_ref(), None, &name, w, options.facts);
        text.push_str("\r\n");
    }
    send_listing(s, conn, control, "MLSD", path, text)
}

pub(crate) fn mlst(s: &mut LoggedIn, conn: &Conn<'_>, options: &ClientOptions, arg: Option<&str>) -> FtpResult {
    listing_allowed(conn)?;
    let path = match arg {
        Some(text) => s.path(text)?,
        None => s.cwd.clone(),
    };
    let st = s.jail.lstat(&path)?;
    let target = if is_symlink(&st) { s.jail.stat(&path).ok() } else { None };
    let mut line = String::from(" ");
    mlsx(&mut line, &st, target.as_ref(), None, path.as_str(), s.identity.perms, options.facts);
    Ok(Reply::multi(ReplyCode::FILE_ACTION_OK, format!("Listing {path}"), vec![line], "End"))
}

/// STAT with a path: an `ls -l` listing over the control connection.
pub(crate) fn stat_path(s: &mut LoggedIn, conn: &Conn<'_>, arg: &str) -> FtpResult {
    let (asked, arg) = split_options(Some(arg));
    let t = target(s, conn, arg, effective(conn, asked).dots)?;
    let lines = ls_text(conn, &t).split_terminator("\r\n").map(str::to_owned).collect();
    Ok(Reply::multi(ReplyCode::FILE_STATUS, "Status follows:", lines, "End of status"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_options_are_split_off() {
        let opts = |dots, depth| LsOptions { dots, depth };
        assert_eq!(split_options(Some("-la")), (opts(DotFiles::Shown, Depth::One), None));
        assert_eq!(
            split_options(Some("-l dir with space")),
            (opts(DotFiles::Hidden, Depth::One), Some("dir with space"))
        );
        assert_eq!(split_options(Some("-a -lR x")), (opts(DotFiles::Shown, Depth::Recursive), Some("x")));
        assert_eq!(split_options(None), (opts(DotFiles::Hidden, Depth::One), None));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match(b"*.txt", b"a.txt"));
        assert!(!wildcard_match(b"*.txt", b"a.txt.bak"));
        assert!(wildcard_match(b"a?c*", b"abcdef"));
        assert!(wildcard_match(b"*", b""));
        assert!(wildcard_match(b"*a*b", b"xaxxb"));
        assert!(!wildcard_match(b"a*", b"ba"));
        assert!(!wildcard_match(b"?", b""));
    }

    #[test]
    fn many_stars_stay_linear() {
        let pattern = [b'*'; 60].iter().chain(b"b").copied().collect::<Vec<u8>>();
        let name = vec![b'a'; 4000];
        assert!(!wildcard_match(&pattern, &name));
    }
}
