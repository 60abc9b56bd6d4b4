//! PAM for system accounts (cargo feature `pam`, linking Debian's libpam):
//! `pam_authenticate` and `pam_acct_mgmt` for one service, answering every
//! password prompt with the password the client sent. No session is
//! opened (pam_open_session would set process-wide state in a thread pool).
//! Hand-written: the `pam` crate needs bindgen and libclang to build.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::ptr;

#[repr(C)]
struct PamMessage {
    msg_style: c_int,
    msg: *const c_char,
}

#[repr(C)]
struct PamResponse {
    resp: *mut c_char,
    resp_retcode: c_int,
}

type Converse = unsafe extern "C" fn(c_int, *mut *const PamMessage, *mut *mut PamResponse, *mut c_void) -> c_int;

#[repr(C)]
struct PamConv {
    conv: Option<Converse>,
    appdata_ptr: *mut c_void,
}

enum PamHandle {}

#[link(name = "pam")]
unsafe extern "C" {
    fn pam_start(service: *const c_char, user: *const c_char, conv: *const PamConv, pamh: *mut *mut PamHandle)
    -> c_int;
    fn pam_set_item(pamh: *mut PamHandle, item_type: c_int, item: *const c_void) -> c_int;
    fn pam_authenticate(pamh: *mut PamHandle, flags: c_int) -> c_int;
    fn pam_acct_mgmt(pamh: *mut PamHandle, flags: c_int) -> c_int;
    fn pam_end(pamh: *mut PamHandle, status: c_int) -> c_int;
    fn pam_strerror(pamh: *mut PamHandle, errnum: c_int) -> *const c_char;
}

const PAM_SUCCESS: c_int = 0;
const PAM_BUF_ERR: c_int = 5;
const PAM_CONV_ERR: c_int = 19;
const PAM_PROMPT_ECHO_OFF: c_int = 1;
const PAM_PROMPT_ECHO_ON: c_int = 2;
const PAM_TTY: c_int = 3;
const PAM_SILENT: c_int = 0x8000;
const PAM_DISALLOW_NULL_AUTHTOK: c_int = 0x0001;
/// More prompts than this in one call is not a password check.
const MAX_MESSAGES: c_int = 32;

/// The conversation: `appdata` is the NUL-terminated password. Responses
/// are malloc'd because PAM frees them.
unsafe extern "C" fn converse(
    count: c_int,
    messages: *mut *const PamMessage,
    responses: *mut *mut PamResponse,
    appdata: *mut c_void,
) -> c_int {
    if count <= 0 || count > MAX_MESSAGES || messages.is_null() || responses.is_null() {
        return PAM_CONV_ERR;
    }
    // SAFETY: Linux-PAM passes `count` message pointers; calloc'd memory
    // of `count` responses is handed to PAM, which frees it; each response
    // string is strdup'd from the password PAM's caller keeps alive.
    unsafe {
        let out = libc::calloc(count as usize, std::mem::size_of::<PamResponse>()) as *mut PamResponse;
        if out.is_null() {
            return PAM_BUF_ERR;
        }
        for i in 0..count as usize {
            let message = *messages.add(i);
            if !message.is_null() && matches!((*message).msg_style, PAM_PROMPT_ECHO_OFF | PAM_PROMPT_ECHO_ON) {
                let copy = libc::strdup(appdata as *const c_char);
                if copy.is_null() {
                    for j in 0..i {
                        libc::free((*out.add(j)).resp.cast());
                    }
                    libc::free(out.cast());
                    return PAM_BUF_ERR;
                }
                (*out.add(i)).resp = copy;
            }
        }
        *responses = out;
    }
    PAM_SUCCESS
}

crate::text_error! {
    /// PAM's refusal, in its own words, for the log.
    PamError
}

/// Checks `user`'s password and account with the PAM service `service`
/// (/etc/pam.d/`service`); the error is PAM's text, for the log.
pub(crate) fn authenticate(service: &str, user: &str, password: &str) -> Result<(), PamError> {
    let nul = |what: &str| PamError(format!("{what} contains a NUL byte"));
    let service_c = CString::new(service).map_err(|_| nul("pam_service_name"))?;
    let user_c = CString::new(user).map_err(|_| nul("the user name"))?;
    let password_c = CString::new(password).map_err(|_| nul("the password"))?;
    let tty = c"ftp";
    let conv = PamConv { conv: Some(converse), appdata_ptr: password_c.as_ptr() as *mut c_void };
    let mut handle: *mut PamHandle = ptr::null_mut();
    // SAFETY: every pointer handed to PAM (strings, `conv`, the password in
    // appdata) lives until pam_end returns; the handle is used only between
    // a successful pam_start and pam_end.
    unsafe {
        let rc = pam_start(service_c.as_ptr(), user_c.as_ptr(), &conv, &mut handle);
        if rc != PAM_SUCCESS || handle.is_null() {
            return Err(format!("pam_start({service}) failed: {rc}").into());
        }
        pam_set_item(handle, PAM_TTY, tty.as_ptr().cast());
        let flags = PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK;
        let mut rc = pam_authenticate(handle, flags);
        if rc == PAM_SUCCESS {
            rc = pam_acct_mgmt(handle, flags);
        }
        let result = if rc == PAM_SUCCESS {
            Ok(())
        } else {
            let text = pam_strerror(handle, rc);
            let text = if text.is_null() { String::new() } else { CStr::from_ptr(text).to_string_lossy().into_owned() };
            Err(format!("PAM ({service}): {rc}: {text}").into())
        };
        pam_end(handle, rc);
        result
    }
}
