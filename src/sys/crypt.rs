//! libxcrypt's `crypt_rn` (Debian's libcrypt1), for hash formats no pure-Rust
//! crate here covers (yescrypt `$y$`, the default of Debian's shadow and
//! mkpasswd) and anything else an admin pastes from /etc/shadow.

use std::ffi::{CStr, CString, c_char, c_int, c_void};

#[link(name = "crypt")]
unsafe extern "C" {
    fn crypt_rn(phrase: *const c_char, setting: *const c_char, data: *mut c_void, size: c_int) -> *mut c_char;
}

/// `sizeof(struct crypt_data)` in libxcrypt 4.x.
const CRYPT_DATA_SIZE: usize = 32_768;

/// Hashes `password` with the salt and parameters of `setting` (a full hash
/// works as setting). Returns `None` when libxcrypt rejects the setting.
pub(crate) fn crypt(password: &str, setting: &str) -> Option<String> {
    let phrase = CString::new(password).ok()?;
    let setting = CString::new(setting).ok()?;
    let mut data = vec![0u8; CRYPT_DATA_SIZE];
    // SAFETY: both strings are NUL-terminated and outlive the call; `data` is
    // a zeroed buffer of the size libxcrypt expects, passed with that size.
    // crypt_rn returns NULL or a pointer into `data`, read before `data` drops.
    unsafe {
        let out = crypt_rn(phrase.as_ptr(), setting.as_ptr(), data.as_mut_ptr().cast(), CRYPT_DATA_SIZE as c_int);
        if out.is_null() {
            return None;
        }
        let s = CStr::from_ptr(out).to_str().ok()?.to_owned();
        // libxcrypt signals failure with a string starting with '*'.
        if s.starts_with('*') { None } else { Some(s) }
    }
}
