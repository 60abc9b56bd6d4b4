//! Client path text → a normalised virtual path ("/a/b"), and single validated
//! names. No I/O: the kernel does the real resolution in [`super::Jail`].

use std::ffi::CString;
use std::fmt;
use std::io;

/// An absolute, normalised path inside a session's root: starts with `/`, no
/// `.`/`..`/empty components, no trailing slash (except the root itself).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VirtualPath(String);

/// One path component fit for a single-name `*at()` call: not empty, not
/// `.` or `..`, no `/`, no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name(CString);

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_owned())
}

impl VirtualPath {
    pub fn root() -> VirtualPath {
        VirtualPath("/".into())
    }

    /// Resolves client text against this directory. `..` stops at the root
    /// (as in a chroot), an absolute path starts from the root.
    pub fn resolve(&self, text: &str) -> io::Result<VirtualPath> {
        if text.contains('\0') {
            return Err(invalid("path contains NUL"));
        }
        let mut parts: Vec<&str> = if text.starts_with('/') { Vec::new() } else { self.components().collect() };
        for part in text.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        Ok(VirtualPath::from_parts(&parts))
    }

    fn from_parts(parts: &[&str]) -> VirtualPath {
        let mut s = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>().max(1));
        for p in parts {
            s.push('/');
            s.push_str(p);
        }
        if s.is_empty() {
            s.push('/');
        }
        VirtualPath(s)
    }

    fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|p| !p.is_empty())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The path relative to the root, as handed to `openat2` ("" for the root).
    pub(crate) fn relative(&self) -> &str {
        &self.0[1..]
    }

    /// The parent directory and the final name; `None` for the root.
    pub(crate) fn split_last(&self) -> Option<(VirtualPath, Name)> {
        if self.is_root() {
            return None;
        }
        let idx = self.0.rfind('/').expect("virtual paths start with /");
        let parent = if idx == 0 { VirtualPath::root() } else { VirtualPath(self.0[..idx].to_owned()) };
        let name = Name::new(&self.0[idx + 1..]).ok()?;
        Some((parent, name))
    }

    /// This directory joined with one name.
    pub(crate) fn join(&self, name: &str) -> VirtualPath {
        if self.is_root() { VirtualPath(format!("/{name}")) } else { VirtualPath(format!("{}/{name}", self.0)) }
    }

    /// The final component ("" for the root).
    pub(crate) fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }
}

impl fmt::Display for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Name {
    pub(crate) fn new(s: &str) -> io::Result<Name> {
        if s.is_empty() || s == "." || s == ".." || s.contains('/') {
            return Err(invalid("not a single file name"));
        }
        CString::new(s).map(Name).map_err(|_| invalid("name contains NUL"))
    }

    pub(crate) fn as_cstr(&self) -> &std::ffi::CStr {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.to_str().expect("names are built from str")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cwd: &str, text: &str) -> String {
        VirtualPath::root().resolve(cwd).unwrap().resolve(text).unwrap().0
    }

    #[test]
    fn rfc959_relative_and_absolute() {
        assert_eq!(r("/", "pub"), "/pub");
        assert_eq!(r("/pub", "a/b"), "/pub/a/b");
        assert_eq!(r("/pub", "/etc"), "/etc");
        assert_eq!(r("/pub", ""), "/pub");
    }

    #[test]
    fn dotdot_is_clamped_at_root() {
        assert_eq!(r("/", ".."), "/");
        assert_eq!(r("/pub", "../../../etc/passwd"), "/etc/passwd");
        assert_eq!(r("/a/b", "../c/./d/"), "/a/c/d");
    }

    #[test]
    fn doubled_slashes_collapse() {
        assert_eq!(r("/", "//etc//passwd"), "/etc/passwd");
        assert_eq!(r("/x", "a//b///"), "/x/a/b");
    }

    #[test]
    fn nul_is_refused() {
        assert!(VirtualPath::root().resolve("a\0b").is_err());
    }

    #[test]
    fn split_last_and_names() {
        let p = VirtualPath::root().resolve("/a/b/c.txt").unwrap();
        let (parent, name) = p.split_last().unwrap();
        assert_eq!(parent.as_str(), "/a/b");
        assert_eq!(name.as_str(), "c.txt");
        assert!(VirtualPath::root().split_last().is_none());
        assert_eq!(p.relative(), "a/b/c.txt");
        assert!(Name::new("..").is_err() && Name::new("a/b").is_err() && Name::new("").is_err());
    }
}
