//! wtmp records (session_support): what `last` reads. A record is glibc's
//! `struct utmpx`, appended whole to /var/log/wtmp with one write.

use std::net::IpAddr;

/// `USER_PROCESS` and `DEAD_PROCESS` from utmp.h.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Record {
    Login,
    Logout,
}

/// Copies `text` into a fixed C field, cut to fit (NUL-padded, maybe not NUL-terminated, as utmp allows).
fn fill(field: &mut [libc::c_char], text: &str) {
    for (dst, src) in field.iter_mut().zip(text.bytes()) {
        *dst = src as libc::c_char;
    }
}

/// The bytes of one wtmp record. `line` names the session (ut_line; a
/// logout must repeat its login's), `now` is seconds since the epoch.
pub(crate) fn wtmp_record(kind: Record, line: &str, user: &str, host: IpAddr, now: i64) -> Vec<u8> {
    // SAFETY: utmpx is plain old data (integers and byte arrays); all-zero
    // is a valid value of every field, and glibc expects unused fields zeroed.
    let mut ut: libc::utmpx = unsafe { std::mem::zeroed() };
    ut.ut_type = match kind {
        Record::Login => libc::USER_PROCESS,
        Record::Logout => libc::DEAD_PROCESS,
    };
    ut.ut_pid = std::process::id() as libc::pid_t;
    fill(&mut ut.ut_line, line);
    fill(&mut ut.ut_id, &line[line.len().saturating_sub(4)..]);
    if kind == Record::Login {
        fill(&mut ut.ut_user, user);
        fill(&mut ut.ut_host, &host.to_string());
    }
    ut.ut_tv.tv_sec = now as _;
    match host {
        IpAddr::V4(v4) => ut.ut_addr_v6[0] = i32::from_ne_bytes(v4.octets()),
        IpAddr::V6(v6) => {
            for (i, chunk) in v6.octets().chunks(4).enumerate() {
                ut.ut_addr_v6[i] = i32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            }
        }
    }
    let size = std::mem::size_of::<libc::utmpx>();
    // SAFETY: `ut` is a live, fully initialised value of `size` bytes; the
    // slice is copied out before `ut` goes away.
    unsafe { std::slice::from_raw_parts((&ut as *const libc::utmpx).cast::<u8>(), size) }.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_one_utmpx_with_its_fields() {
        let r = wtmp_record(Record::Login, "ftp42", "alice", "127.0.0.1".parse().unwrap(), 1_700_000_000);
        assert_eq!(r.len(), std::mem::size_of::<libc::utmpx>());
        let text = String::from_utf8_lossy(&r);
        assert!(text.contains("ftp42") && text.contains("alice") && text.contains("127.0.0.1"));
        let out = wtmp_record(Record::Logout, "ftp42", "alice", "127.0.0.1".parse().unwrap(), 1_700_000_001);
        assert!(!String::from_utf8_lossy(&out).contains("alice"), "a logout names no user");
    }
}
