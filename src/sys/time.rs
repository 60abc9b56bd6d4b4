//! Calendar time for listings, MDTM and logs. UTC conversion is pure
//! arithmetic; local time asks libc (`localtime_r`) for the zone offset only.

use std::time::{SystemTime, UNIX_EPOCH};

/// A broken-down time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub(crate) year: i64,
    pub(crate) month: u32, // 1..=12
    pub(crate) day: u32,   // 1..=31
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
    pub(crate) weekday: u32, // 0 = Sunday
}

/// `YYYY-MM-DD HH:MM:SS`, as log lines and `rftpd who` show a time.
impl std::fmt::Display for Civil {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Civil { year, month, day, hour, minute, second, .. } = self;
        write!(f, "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
    }
}

/// Seconds since the epoch → UTC calendar time (Howard Hinnant's civil_from_days).
pub(crate) fn civil_utc(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        minute: (rem % 3600 / 60) as u32,
        second: (rem % 60) as u32,
        weekday: (days + 4).rem_euclid(7) as u32,
    }
}

/// UTC calendar time → seconds since the epoch (days_from_civil), or `None` when out of range.
pub(crate) fn unix_from_utc(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The local zone's offset from UTC at `secs`, in seconds (honours `TZ`).
pub(crate) fn local_offset(secs: i64) -> i64 {
    let t: libc::time_t = secs as libc::time_t;
    // SAFETY: `tm` is plain old data that localtime_r fully initialises on
    // success; both pointers are valid for the duration of the call.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return 0;
        }
        tm.tm_gmtoff
    }
}

/// Local calendar time at `secs`.
pub(crate) fn civil_local(secs: i64) -> Civil {
    civil_utc(secs + local_offset(secs))
}

/// Now, in seconds since the epoch.
pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

pub(crate) const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
pub(crate) const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_thursday_1970() {
        let c = civil_utc(0);
        assert_eq!((c.year, c.month, c.day, c.weekday), (1970, 1, 1, 4));
    }

    #[test]
    fn known_date_round_trips() {
        // 2026-11-25 03:01:15 UTC, a Wednesday.
        let secs = unix_from_utc(2026, 11, 25, 3, 1, 15).unwrap();
        assert_eq!(secs, 1_795_575_675);
        let c = civil_utc(secs);
        assert_eq!((c.year, c.month, c.day, c.hour, c.minute, c.second, c.weekday), (2026, 11, 25, 3, 1, 15, 3));
    }

    #[test]
    fn leap_day_and_invalid_dates() {
        assert!(unix_from_utc(2024, 2, 29, 0, 0, 0).is_some());
        assert!(unix_from_utc(2023, 2, 29, 0, 0, 0).is_none());
        assert!(unix_from_utc(2023, 13, 1, 0, 0, 0).is_none());
        let c = civil_utc(unix_from_utc(2000, 3, 1, 0, 0, 0).unwrap() - 1);
        assert_eq!((c.month, c.day), (2, 29));
    }
}
