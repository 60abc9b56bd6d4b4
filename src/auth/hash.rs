//! crypt(3) password hashes: `$6$`/`$5$` (sha-crypt), `$2a$`/`$2b$`/`$2y$`
//! (bcrypt), and anything else libxcrypt knows (yescrypt `$y$`, `$1$`, …),
//! so hashes from `openssl passwd -6` and `mkpasswd` work as they are.

use sha_crypt::{PasswordHasher, PasswordVerifier, ShaCrypt};
use std::io::Read;

/// Whether `password` matches `hash`. Locked (`!…`, `*…`) and empty hashes never match.
pub(crate) fn verify(password: &str, hash: &str) -> bool {
    if hash.is_empty() || hash.starts_with('!') || hash.starts_with('*') {
        return false;
    }
    if hash.starts_with("$6$") || hash.starts_with("$5$") {
        return ShaCrypt::default().verify_password(password.as_bytes(), hash).is_ok();
    }
    if ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
        return bcrypt::verify(password, hash).unwrap_or(false);
    }
    match crate::sys::crypt::crypt(password, hash) {
        Some(out) => constant_time_eq(out.as_bytes(), hash.as_bytes()),
        None => false,
    }
}

/// Whether `hash` is a crypt(3) hash some password could match (or a
/// locked one: `!…`, `*`), as `--check-config` asks of the users file.
pub(crate) fn well_formed(hash: &str) -> bool {
    if hash.starts_with('!') || hash.starts_with('*') {
        return true;
    }
    // libxcrypt knows every format verify() takes and refuses a malformed
    // setting; a well-formed hash comes back in the same shape (a short or
    // truncated one does not: "notahash" is a DES salt, but not a DES hash).
    crate::sys::crypt::crypt("", hash).is_some_and(|out| out.len() == hash.len())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new SHA-512 crypt hash (`$6$`, 5000 rounds, 16-character salt), as
/// `openssl passwd -6` makes.
pub(crate) fn hash_sha512(password: &str) -> std::io::Result<String> {
    let mut salt = [0u8; 12];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut salt)?;
    ShaCrypt::SHA512
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_every_byte() {
        assert!(constant_time_eq(b"same", b"same"));
        // Differences that cancel out when folded with XOR instead of OR.
        assert!(!constant_time_eq(b"ab", b"ba"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"ab", b"abc"));
    }

    // `openssl passwd -6 -salt saltsalt secret`
    const SHA512: &str =
        "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
    // `openssl passwd -5 -salt saltsalt secret`
    const SHA256: &str = "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA";

    #[test]
    fn openssl_hashes_verify() {
        assert!(verify("secret", SHA512));
        assert!(!verify("wrong", SHA512));
        assert!(verify("secret", SHA256));
        assert!(!verify("Secret", SHA256));
    }

    #[test]
    fn well_formed_hashes_and_not() {
        assert!(well_formed(SHA512) && well_formed(SHA256) && well_formed("!locked") && well_formed("*"));
        assert!(well_formed(&bcrypt::hash("x", 4).unwrap()));
        assert!(!well_formed("notahash") && !well_formed("$6$") && !well_formed(""));
        assert!(!well_formed("$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vw"));
    }

    #[test]
    fn locked_and_empty_never_match() {
        assert!(!verify("", ""));
        assert!(!verify("secret", &format!("!{SHA512}")));
        assert!(!verify("secret", "*"));
    }

    #[test]
    fn generated_hash_round_trips() {
        let h = hash_sha512("pw with spaces").unwrap();
        assert!(h.starts_with("$6$"));
        assert!(verify("pw with spaces", &h));
        assert!(!verify("pw", &h));
    }

    #[test]
    fn yescrypt_debian_default_verifies() {
        // Python's crypt module (libxcrypt) with a yescrypt setting, as Debian's shadow stores it.
        let y = "$y$j9T$abcdefghijklmnopqrstu.$7uryFExhLbAhrpK1WytVzeNObCUVaK3VoKccP3fJEIB";
        assert!(verify("secret", y));
        assert!(!verify("secreT", y));
    }

    #[test]
    fn bcrypt_and_libxcrypt_formats() {
        let b = bcrypt::hash("secret", 4).unwrap();
        assert!(verify("secret", &b) && !verify("nope", &b));
        // libxcrypt makes and checks an MD5-crypt hash by itself.
        let md5 = crate::sys::crypt::crypt("secret", "$1$abcdefgh$").unwrap();
        assert!(verify("secret", &md5) && !verify("nope", &md5));
    }
}
