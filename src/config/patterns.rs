//! Name patterns for `deny_file` and `hide_file` (vsftpd's syntax):
//! `{*.mp3,*.key,.git}` or a single glob; `*` and `?` wildcards, matched
//! against one path component (a name), case-sensitive.

/// A set of globs; empty matches nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamePatterns(Vec<String>);

impl NamePatterns {
    pub(crate) fn parse(text: &str) -> Result<NamePatterns, String> {
        let text = text.trim();
        let inner = match (text.strip_prefix('{'), text.ends_with('}')) {
            (Some(rest), true) => &rest[..rest.len() - 1],
            (None, false) => text,
            _ => return Err(format!("'{text}': unbalanced braces; write {{a,b}} or one pattern")),
        };
        let globs: Vec<String> = inner.split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect();
        if globs.iter().any(|g| g.contains('/')) {
            return Err(format!("'{text}': patterns match one name; '/' cannot occur in one"));
        }
        Ok(NamePatterns(globs))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `name` (one path component) matches any pattern.
    pub(crate) fn matches(&self, name: &str) -> bool {
        self.0.iter().any(|g| glob_match(g.as_bytes(), name.as_bytes()))
    }

    /// Whether any component of a `/`-separated path matches.
    pub(crate) fn matches_path(&self, path: &str) -> bool {
        !self.is_empty() && path.split('/').filter(|c| !c.is_empty()).any(|c| self.matches(c))
    }
}

/// `*` and `?` wildcards. Greedy with one backtrack point: O(pattern × name)
/// however many stars a client sends, never exponential.
pub(crate) fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                // Let the last star swallow one more byte and retry.
                Some((sp, sn)) => {
                    star = Some((sp, sn + 1));
                    p = sp + 1;
                    n = sn + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vsftpd_brace_lists_and_single_globs() {
        let p = NamePatterns::parse("{*.key, .git ,secret?}").unwrap();
        assert!(p.matches("server.key") && p.matches(".git") && p.matches("secret1"));
        assert!(!p.matches("server.key.txt") && !p.matches("secret12") && !p.matches("git"));
        assert!(p.matches_path("/a/.git/config") && p.matches_path("/keys/server.key"));
        assert!(!p.matches_path("/a/b/c.txt"));
        assert!(NamePatterns::parse("*.mp3").unwrap().matches("a.mp3"));
        assert!(NamePatterns::parse("").unwrap().is_empty());
        assert!(!NamePatterns::parse("").unwrap().matches_path("/x"));
        assert!(NamePatterns::parse("{*.mp3").is_err());
        assert!(NamePatterns::parse("{a/b}").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"a*c", b"abbbc"));
        assert!(!glob_match(b"a?c", b"abbc"));
        let many = "*".repeat(1000) + "x";
        assert!(!glob_match(many.as_bytes(), "a".repeat(1000).as_bytes()));
    }
}
