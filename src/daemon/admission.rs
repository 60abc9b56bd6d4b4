//! Per-address limits: session counts (max_per_ip; a [`Slot`] is held for
//! the whole session and released on drop, however the session ends), and
//! [`Abuse`]: failed logins across sessions leading to a temporary ban
//! (ban_after, ban_seconds) and the connection rate (max_connect_rate).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most addresses [`Abuse`] remembers; beyond it the stalest are forgotten,
/// so a flood from many addresses cannot grow memory without bound.
const MAX_TRACKED: usize = 65_536;

/// The window over which max_connect_rate counts connections.
const RATE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct Record {
    /// Failed logins since `failures_since`; another session's success
    /// does not clear them.
    failures: u32,
    failures_since: Instant,
    banned_until: Option<Instant>,
    window_start: Instant,
    connects: u32,
    last_seen: Instant,
}

impl Record {
    fn banned(&self, now: Instant) -> bool {
        self.banned_until.is_some_and(|b| b > now)
    }
}

/// Why the master turns a connection away before any worker sees it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    Banned,
    TooFast,
}

#[derive(Debug, Default)]
pub(crate) struct Abuse {
    records: Mutex<HashMap<IpAddr, Record>>,
}

impl Abuse {
    fn with<T>(&self, ip: IpAddr, now: Instant, f: impl FnOnce(&mut Record) -> T) -> T {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = Record {
            failures: 0,
            failures_since: now,
            banned_until: None,
            window_start: now,
            connects: 0,
            last_seen: now,
        };
        if records.len() >= MAX_TRACKED && !records.contains_key(&ip) {
            let banned = |r: &Record| r.banned(now);
            records.retain(|_, r| banned(r) || now - r.last_seen < RATE_WINDOW);
            if records.len() >= MAX_TRACKED {
                // Still full of live entries: forget the stalest tenth of
                // those not banned. A live ban is never forgotten.
                let mut seen: Vec<Instant> = records.values().filter(|r| !banned(r)).map(|r| r.last_seen).collect();
                seen.sort();
                if let Some(cut) = seen.get(seen.len() / 10) {
                    records.retain(|_, r| banned(r) || r.last_seen > *cut);
                }
            }
            if records.len() >= MAX_TRACKED {
                // Every entry is a live ban: this address goes untracked.
                let mut scratch = fresh;
                return f(&mut scratch);
            }
        }
        let r = records.entry(ip).or_insert(fresh);
        r.last_seen = now;
        f(r)
    }

    /// How many addresses are banned now (for the metrics endpoint).
    pub(crate) fn banned_now(&self, now: Instant) -> usize {
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.values().filter(|r| r.banned(now)).count()
    }

    /// Whether `ip` is banned now (checked before every password, so a ban
    /// also stops the address's sessions that are already open).
    pub(crate) fn banned(&self, ip: IpAddr, now: Instant) -> bool {
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.get(&ip).is_some_and(|r| r.banned(now))
    }

    /// A new connection from `ip`: refused while banned, or beyond
    /// `per_minute` connections in the current minute (0 = no limit).
    pub(crate) fn connect(&self, ip: IpAddr, per_minute: u32, now: Instant) -> Result<(), Refusal> {
        self.with(ip, now, |r| {
            if r.banned(now) {
                return Err(Refusal::Banned);
            }
            if now - r.window_start >= RATE_WINDOW {
                (r.window_start, r.connects) = (now, 0);
            }
            r.connects += 1;
            if per_minute > 0 && r.connects > per_minute { Err(Refusal::TooFast) } else { Ok(()) }
        })
    }

    /// A failed login from `ip`; true when it is now banned: the
    /// `ban_after`-th failure (0 = never) within `ban_for`, however many
    /// logins from the address succeeded meanwhile.
    pub(crate) fn login_failed(&self, ip: IpAddr, ban_after: u32, ban_for: Duration, now: Instant) -> bool {
        self.with(ip, now, |r| {
            if now - r.failures_since >= ban_for {
                (r.failures, r.failures_since) = (0, now);
            }
            r.failures += 1;
            if ban_after > 0 && r.failures >= ban_after {
                r.failures = 0;
                r.banned_until = Some(now + ban_for);
                return true;
            }
            false
        })
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct PerIp {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

#[derive(Debug)]
pub(crate) struct Slot {
    ip: IpAddr,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerIp {
    /// Takes a slot for `ip` unless it already has `max` (0 = no limit).
    pub(crate) fn acquire(&self, ip: IpAddr, max: usize) -> Option<Slot> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(ip).or_insert(0);
        if max > 0 && *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot { ip, counts: self.counts.clone() })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_across_sessions_ban_an_address_for_a_while() {
        let a = Abuse::default();
        let (ip, other): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        let ban = Duration::from_secs(60);
        assert!(!a.login_failed(ip, 3, ban, t0));
        assert!(!a.login_failed(ip, 3, ban, t0));
        assert!(!a.banned(ip, t0));
        assert!(a.login_failed(ip, 3, ban, t0));
        assert!(a.banned(ip, t0) && !a.banned(other, t0));
        assert_eq!(a.connect(ip, 0, t0 + Duration::from_secs(59)), Err(Refusal::Banned));
        assert_eq!(a.connect(other, 0, t0), Ok(()));
        assert_eq!(a.connect(ip, 0, t0 + ban), Ok(()));
        assert!(!a.login_failed(ip, 0, ban, t0), "ban_after=0 never bans");
    }

    #[test]
    fn failures_count_within_ban_seconds_and_old_ones_expire() {
        let a = Abuse::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        let ban = Duration::from_secs(60);
        assert!(!a.login_failed(ip, 2, ban, t0));
        assert!(!a.login_failed(ip, 2, ban, t0 + ban), "the first failure has expired");
        assert!(a.login_failed(ip, 2, ban, t0 + ban));
    }

    #[test]
    fn a_flood_of_addresses_never_evicts_a_live_ban() {
        let a = Abuse::default();
        let t0 = Instant::now();
        let banned: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(a.login_failed(banned, 1, Duration::from_secs(3600), t0));
        for i in 0..(MAX_TRACKED as u32 + 15_000) {
            let _ = a.connect(IpAddr::from((0x0a00_0000 + i).to_be_bytes()), 0, t0 + Duration::from_micros(i as u64));
        }
        assert_eq!(a.connect(banned, 0, t0 + Duration::from_secs(10)), Err(Refusal::Banned));
        assert!(a.records.lock().unwrap().len() <= MAX_TRACKED);
    }

    #[test]
    fn connection_rate_per_minute() {
        let a = Abuse::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        assert!((0..3).all(|_| a.connect(ip, 3, t0).is_ok()));
        assert_eq!(a.connect(ip, 3, t0), Err(Refusal::TooFast));
        assert_eq!(a.connect(ip, 3, t0 + RATE_WINDOW), Ok(()));
    }

    #[test]
    fn memory_is_bounded_under_a_flood_of_addresses() {
        let a = Abuse::default();
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 5000) {
            let _ = a.connect(IpAddr::from(i.to_be_bytes()), 0, t0 + Duration::from_micros(i as u64));
        }
        assert!(a.records.lock().unwrap().len() <= MAX_TRACKED);
    }

    #[test]
    fn slots_are_counted_and_released() {
        let p = PerIp::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let a = p.acquire(ip, 2).unwrap();
        let _b = p.acquire(ip, 2).unwrap();
        assert!(p.acquire(ip, 2).is_none());
        assert!(p.acquire("127.0.0.2".parse().unwrap(), 2).is_some());
        drop(a);
        assert!(p.acquire(ip, 2).is_some());
        assert!(p.acquire(ip, 0).is_some());
    }
}
