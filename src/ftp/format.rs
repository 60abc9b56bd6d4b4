//! Listing lines: the `ls -l` form clients parse (as GNU ls and vsftpd print it), MLSx fact
//! lines (RFC 3659 §7) and time-vals. Pure: stat values in, text out.

use crate::sys::time::{MONTHS, civil_utc};
use std::fmt::Write;

/// Half a Gregorian year, as GNU ls uses to choose between time and year.
const SIX_MONTHS: i64 = 15_778_476;

/// `drwxr-xr-x`-style mode string (with setuid/setgid/sticky letters).
#[cfg(test)] // listings use the push_* forms; tests read single lines
pub(crate) fn mode_string(mode: u32) -> String {
    let mut s = String::with_capacity(10);
    push_mode(&mut s, mode);
    s
}

fn push_mode(out: &mut String, mode: u32) {
    let kind = match mode & libc::S_IFMT {
        libc::S_IFDIR => b'd',
        libc::S_IFLNK => b'l',
        libc::S_IFCHR => b'c',
        libc::S_IFBLK => b'b',
        libc::S_IFIFO => b'p',
        libc::S_IFSOCK => b's',
        _ => b'-',
    };
    let bit = |mask: u32, c: u8| if mode & mask != 0 { c } else { b'-' };
    let special = |x: u32, s: u32, set: u8| match (mode & x != 0, mode & s != 0) {
        (true, true) => set,
        (false, true) => set.to_ascii_uppercase(),
        (true, false) => b'x',
        (false, false) => b'-',
    };
    let letters = [
        kind,
        bit(0o400, b'r'),
        bit(0o200, b'w'),
        special(0o100, 0o4000, b's'),
        bit(0o040, b'r'),
        bit(0o020, b'w'),
        special(0o010, 0o2000, b's'),
        bit(0o004, b'r'),
        bit(0o002, b'w'),
        special(0o001, 0o1000, b't'),
    ];
    out.push_str(ascii(&letters));
}

/// Text made of ASCII bytes only.
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("ASCII")
}

/// `n` in decimal, right-aligned in `width` columns (`{n:>width$}`); a
/// listing formats five numbers per line, and `write!` was a fifth of it.
fn push_number(out: &mut String, n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let len = digits.len() - at;
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
    out.push_str(ascii(&digits[at..]));
}

/// `n` (below 100) as two digits.
fn push_two(out: &mut String, n: u32) {
    out.push_str(ascii(&[b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]));
}

/// `text` left-aligned in `width` columns (`{text:<width$}`).
fn push_left(out: &mut String, text: &str, width: usize) {
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(text.chars().count())));
}

/// `Mmm dd HH:MM` for the last six months, else `Mmm dd  YYYY`.
/// `offset` shifts UTC to the displayed zone (0 for UTC).
#[cfg(test)] // listings use the push_* forms; tests read single lines
pub(crate) fn ls_date(mtime: i64, now: i64, offset: i64) -> String {
    let mut s = String::with_capacity(12);
    push_ls_date(&mut s, mtime, now, offset);
    s
}

fn push_ls_date(out: &mut String, mtime: i64, now: i64, offset: i64) {
    let c = civil_utc(mtime + offset);
    out.push_str(MONTHS[(c.month - 1) as usize]);
    out.push(' ');
    push_two(out, c.day);
    if mtime <= now && now - mtime < SIX_MONTHS {
        out.push(' ');
        push_two(out, c.hour);
        out.push(':');
        push_two(out, c.minute);
    } else if c.year >= 0 {
        out.push_str("  ");
        push_number(out, c.year as u64, 0);
    } else {
        let _ = write!(out, "  {}", c.year);
    }
}

/// What one `ls -l` line shows.
#[derive(Debug, Clone)]
pub(crate) struct LsEntry<'a> {
    pub(crate) mode: u32,
    pub(crate) nlink: u64,
    pub(crate) owner: &'a str,
    pub(crate) group: &'a str,
    pub(crate) size: u64,
    pub(crate) mtime: i64,
    pub(crate) name: &'a str,
    pub(crate) link_target: Option<&'a str>,
}

/// One `ls -l` line without line end; CR/LF in names never appear raw.
#[cfg(test)] // listings use the push_* forms; tests read single lines
pub(crate) fn ls_line(e: &LsEntry<'_>, now: i64, offset: i64) -> String {
    let mut line = String::with_capacity(64 + e.name.len());
    push_ls_line(&mut line, e, now, offset);
    line
}

/// [`ls_line`] appended to `out`: a listing is built in one buffer.
pub(crate) fn push_ls_line(out: &mut String, e: &LsEntry<'_>, now: i64, offset: i64) {
    push_mode(out, e.mode);
    out.push(' ');
    push_number(out, e.nlink, 4);
    out.push(' ');
    push_left(out, e.owner, 8);
    out.push(' ');
    push_left(out, e.group, 8);
    out.push(' ');
    push_number(out, e.size, 8);
    out.push(' ');
    push_ls_date(out, e.mtime, now, offset);
    out.push(' ');
    push_clean(out, e.name);
    if let Some(target) = e.link_target {
        out.push_str(" -> ");
        push_clean(out, target);
    }
}

/// A name with CR and LF replaced, so it cannot break a listing line.
pub(crate) fn clean(name: &str) -> String {
    name.replace(['\r', '\n'], "?")
}

/// [`clean`] appended to `out`.
pub(crate) fn push_clean(out: &mut String, name: &str) {
    if name.contains(['\r', '\n']) {
        out.push_str(&clean(name));
    } else {
        out.push_str(name);
    }
}

/// RFC 3659 time-val `YYYYMMDDHHMMSS`, UTC.
pub(crate) fn timeval(secs: i64) -> String {
    let mut s = String::with_capacity(14);
    push_timeval(&mut s, secs);
    s
}

fn push_timeval(out: &mut String, secs: i64) {
    let c = civil_utc(secs);
    let _ = write!(out, "{:04}{:02}{:02}{:02}{:02}{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second);
}

/// The MLSx facts rftpd offers, in FEAT order.
pub(crate) const FACTS: [&str; 6] = ["type", "size", "modify", "perm", "unique", "unix.mode"];

/// Which facts a session asked for (`OPTS MLST`). By default every fact but
/// `unix.mode`, as the FEAT line announces (prelogin/info.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FactSet(u8);

impl Default for FactSet {
    fn default() -> Self {
        FactSet((1 << (FACTS.len() - 1)) - 1)
    }
}

impl FactSet {
    /// From `OPTS MLST type;size;` — unknown facts are ignored (RFC 3659 §7.9).
    pub(crate) fn parse(list: &str) -> FactSet {
        let mut bits = 0;
        for want in list.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            if let Some(i) = FACTS.iter().position(|f| f.eq_ignore_ascii_case(want)) {
                bits |= 1 << i;
            }
        }
        FactSet(bits)
    }

    pub(crate) fn has(&self, fact: &str) -> bool {
        FACTS.iter().position(|f| *f == fact).is_some_and(|i| self.0 & (1 << i) != 0)
    }

    /// `type;size;` — the selected facts, as OPTS MLST answers.
    pub(crate) fn selected(&self) -> String {
        FACTS.iter().filter(|f| self.has(f)).map(|f| format!("{f};")).collect()
    }

    /// The FEAT line: every fact, selected ones starred.
    pub(crate) fn feat(&self) -> String {
        FACTS.iter().map(|f| if self.has(f) { format!("{f}*;") } else { format!("{f};") }).collect()
    }
}

/// What one MLSx entry shows.
#[derive(Debug, Clone)]
pub(crate) struct MlsxEntry<'a> {
    /// `file`, `dir`, `cdir`, `pdir`, or `OS.unix=…`.
    pub(crate) kind: &'a str,
    pub(crate) size: u64,
    pub(crate) mtime: i64,
    pub(crate) perm: &'a str,
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    pub(crate) mode: u32,
    pub(crate) name: &'a str,
}

/// `fact=value;…; name` (RFC 3659 §7.2) without line end.
#[cfg(test)] // listings use the push_* forms; tests read single lines
pub(crate) fn mlsx_line(e: &MlsxEntry<'_>, facts: FactSet) -> String {
    let mut s = String::with_capacity(96 + e.name.len());
    push_mlsx_line(&mut s, e, facts);
    s
}

/// [`mlsx_line`] appended to `out`.
pub(crate) fn push_mlsx_line(out: &mut String, e: &MlsxEntry<'_>, facts: FactSet) {
    if facts.has("type") {
        let _ = write!(out, "type={};", e.kind);
    }
    if facts.has("size") {
        let _ = write!(out, "size={};", e.size);
    }
    if facts.has("modify") {
        out.push_str("modify=");
        push_timeval(out, e.mtime);
        out.push(';');
    }
    if facts.has("perm") {
        let _ = write!(out, "perm={};", e.perm);
    }
    if facts.has("unique") {
        let _ = write!(out, "unique={:x}g{:x};", e.dev, e.ino);
    }
    if facts.has("unix.mode") {
        let _ = write!(out, "unix.mode=0{:o};", e.mode & 0o7777);
    }
    out.push(' ');
    push_clean(out, e.name);
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_575_675; // 2026-11-25 03:01:15 UTC

    /// The hand-written padding matches `format!`'s for every width class.
    #[test]
    fn padding_matches_format() {
        for n in [0u64, 7, 42, 999, 1000, 12_345, 99_999_999, 100_000_000, u64::MAX] {
            for width in [0, 4, 8] {
                let mut out = String::new();
                push_number(&mut out, n, width);
                assert_eq!(out, format!("{n:>width$}"));
            }
        }
        for text in ["", "ftp", "eightchr", "a-longer-name", "zoë"] {
            let mut out = String::new();
            push_left(&mut out, text, 8);
            assert_eq!(out, format!("{text:<8}"));
        }
        for n in [0, 5, 10, 59] {
            let mut out = String::new();
            push_two(&mut out, n);
            assert_eq!(out, format!("{n:02}"));
        }
    }

    #[test]
    fn mode_strings() {
        assert_eq!(mode_string(libc::S_IFREG | 0o644), "-rw-r--r--");
        assert_eq!(mode_string(libc::S_IFDIR | 0o755), "drwxr-xr-x");
        assert_eq!(mode_string(libc::S_IFLNK | 0o777), "lrwxrwxrwx");
        assert_eq!(mode_string(libc::S_IFDIR | 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(libc::S_IFREG | 0o4644), "-rwSr--r--");
    }

    #[test]
    fn protocol_md_ls_lines() {
        let old = crate::sys::time::unix_from_utc(2024, 6, 1, 12, 0, 0).unwrap();
        let e = LsEntry {
            mode: libc::S_IFREG | 0o644,
            nlink: 1,
            owner: "ftp",
            group: "ftp",
            size: 18,
            mtime: old,
            name: "readme.txt",
            link_target: None,
        };
        assert_eq!(ls_line(&e, NOW, 0), "-rw-r--r--    1 ftp      ftp            18 Jun 01  2024 readme.txt");
        let e =
            LsEntry { mode: libc::S_IFDIR | 0o755, size: 4096, nlink: 2, mtime: NOW - 75, name: "dir with space", ..e };
        assert_eq!(ls_line(&e, NOW, 0), "drwxr-xr-x    2 ftp      ftp          4096 Nov 25 03:00 dir with space");
        let e = LsEntry {
            mode: libc::S_IFLNK | 0o777,
            size: 10,
            nlink: 1,
            name: "link",
            link_target: Some("readme.txt"),
            ..e
        };
        assert_eq!(ls_line(&e, NOW, 0), "lrwxrwxrwx    1 ftp      ftp            10 Nov 25 03:00 link -> readme.txt");
    }

    #[test]
    fn future_dates_show_the_year_and_names_are_cleaned() {
        assert_eq!(ls_date(NOW + 86_400, NOW, 0), "Nov 26  2026");
        let e = LsEntry {
            mode: libc::S_IFREG,
            nlink: 1,
            owner: "a",
            group: "b",
            size: 0,
            mtime: NOW,
            name: "evil\r\n226 x",
            link_target: None,
        };
        assert!(!ls_line(&e, NOW, 0).contains('\n'));
    }

    #[test]
    fn rfc3659_mlsx_facts_and_selection() {
        let e = MlsxEntry {
            kind: "file",
            size: 18,
            mtime: 0,
            perm: "adfrw",
            dev: 0x803,
            ino: 0x1234,
            mode: libc::S_IFREG | 0o644,
            name: "a b",
        };
        assert_eq!(
            mlsx_line(&e, FactSet::default()),
            "type=file;size=18;modify=19700101000000;perm=adfrw;unique=803g1234; a b"
        );
        let all = FactSet::parse("type;size;modify;perm;unique;unix.mode");
        assert_eq!(
            mlsx_line(&e, all),
            "type=file;size=18;modify=19700101000000;perm=adfrw;unique=803g1234;unix.mode=0644; a b"
        );
        let only = FactSet::parse("size;TYPE;bogus;");
        assert_eq!(mlsx_line(&e, only), "type=file;size=18; a b");
        assert_eq!(only.selected(), "type;size;");
        assert_eq!(FactSet::default().feat(), "type*;size*;modify*;perm*;unique*;unix.mode;");
    }

    #[test]
    fn rfc3659_timeval() {
        assert_eq!(timeval(NOW), "20261125030115");
    }
}
