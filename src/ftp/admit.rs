//! Whether a new control connection may have a worker: bans, connection
//! rate, max_per_ip and the budget of connections not logged in yet, all by
//! the client's address. The master asks for direct connections; a worker
//! asks once a trusted balancer's PROXY header has named the real client.

use super::sessions::Registry;
use crate::config::Config;
use crate::daemon::admission::{Refusal, Slot};
use crate::limits::REFUSAL_WRITE_TIMEOUT_MS;
use log::{info, warn};
use std::io::Write;
use std::net::{IpAddr, TcpStream};
use std::time::{Duration, Instant};

/// How a connection was let in.
pub(crate) enum Admission {
    /// Counted under its own address; the places are held for the session.
    Direct(Admitted),
    /// From a trusted balancer: the worker reads the PROXY header, then asks.
    Proxied,
    /// One inetd connection: nothing to count across connections.
    Inetd,
}

/// The places a connection holds: under max_per_ip for the whole session,
/// and among those not logged in (given back at login).
pub(crate) struct Admitted {
    _slot: Slot,
    pub(crate) prelogin: Option<PreLoginSlots>,
}

/// A connection's places among those not logged in yet (max_prelogin_per_ip,
/// max_prelogin): held from accept to login, given back when dropped.
pub(crate) struct PreLoginSlots {
    _per_ip: Slot,
    _all: Slot,
}

/// The key every connection not logged in is counted under for max_prelogin.
const ALL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

/// Why a connection is turned away with 421: the reason the log names, the
/// reply's text, and the metric it counts under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    Banned,
    TooFast,
    MaxPerIp,
    NotLoggedIn,
    MaxClients,
}

impl Refused {
    fn why(self) -> &'static str {
        match self {
            Refused::Banned => "banned after failed logins",
            Refused::TooFast => "max_connect_rate reached",
            Refused::MaxPerIp => "max_per_ip reached",
            Refused::NotLoggedIn => "too many connections not logged in",
            Refused::MaxClients => "max_clients reached",
        }
    }

    pub(crate) fn reply(self) -> &'static str {
        match self {
            Refused::Banned => "Too many failed logins from your internet address; try later.",
            Refused::TooFast => "Too many connections from your internet address; slow down.",
            Refused::MaxPerIp => "There are too many connections from your internet address.",
            Refused::NotLoggedIn => "There are too many connections not logged in; try later.",
            Refused::MaxClients => "There are too many connected users, please try later.",
        }
    }

    fn metric(self) -> crate::metrics::Refusal {
        use crate::metrics::Refusal as M;
        match self {
            Refused::Banned => M::Ban,
            Refused::TooFast => M::Rate,
            Refused::MaxPerIp => M::MaxPerIp,
            Refused::NotLoggedIn => M::PreLogin,
            Refused::MaxClients => M::MaxClients,
        }
    }
}

/// Takes the places for a connection from `ip`, or says why not (logged).
pub(crate) fn admit(registry: &Registry, config: &Config, ip: IpAddr, sid: u64) -> Result<Admitted, Refused> {
    let now = Instant::now();
    let refused = |why: Refused| {
        registry.refusals.log(sid, ip, why, now);
        Err(why)
    };
    match registry.abuse.connect(ip, config.max_connect_rate, now) {
        Ok(()) => {}
        Err(Refusal::Banned) => return refused(Refused::Banned),
        Err(Refusal::TooFast) => return refused(Refused::TooFast),
    }
    let Some(slot) = registry.per_ip.acquire(ip, config.max_per_ip) else {
        return refused(Refused::MaxPerIp);
    };
    let prelogin = registry.prelogin_per_ip.acquire(ip, config.max_prelogin_per_ip).and_then(|per_ip| {
        let all = registry.prelogin_all.acquire(ALL, config.max_prelogin)?;
        Some(PreLoginSlots { _per_ip: per_ip, _all: all })
    });
    let Some(prelogin) = prelogin else {
        return refused(Refused::NotLoggedIn);
    };
    Ok(Admitted { _slot: slot, prelogin: Some(prelogin) })
}

/// Answers 421 with `text` and closes, without waiting on the client.
pub(crate) fn refuse(stream: TcpStream, text: &str) {
    let reply = super::reply::Reply::new(super::reply::ReplyCode::SERVICE_UNAVAILABLE, text);
    let _ = stream.set_write_timeout(Some(Duration::from_millis(REFUSAL_WRITE_TIMEOUT_MS)));
    let _ = (&stream).write_all(&reply.to_bytes());
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

/// At most this many refusal lines a second; the rest are counted and
/// summed up in one line, so a flood of refused connections cannot flood
/// the log.
const REFUSAL_LINES_PER_SECOND: u32 = 10;

#[derive(Debug, Default)]
pub(crate) struct RefusalLog {
    window: Option<Instant>,
    logged: u32,
    /// Refusals not logged in this window, by reason.
    held: Vec<(Refused, u64)>,
}

impl RefusalLog {
    pub(crate) fn log(&mut self, sid: u64, ip: std::net::IpAddr, why: Refused, now: Instant) {
        crate::metrics::FTP.refusals[why.metric() as usize].inc();
        if self.window.is_none_or(|w| now - w >= Duration::from_secs(1)) {
            self.flush(now);
        }
        if self.logged < REFUSAL_LINES_PER_SECOND {
            self.logged += 1;
            info!("session={sid} client={ip} refused: {}", why.why());
        } else {
            match self.held.iter_mut().find(|(w, _)| *w == why) {
                Some((_, n)) => *n += 1,
                None => self.held.push((why, 1)),
            }
        }
    }

    /// Starts a new window, first saying how many refusals went unlogged.
    fn flush(&mut self, now: Instant) {
        if !self.held.is_empty() {
            let total: u64 = self.held.iter().map(|(_, n)| n).sum();
            let by: Vec<String> = self.held.iter().map(|(w, n)| format!("{n} {}", w.why())).collect();
            warn!("refused {total} more connection(s) without a line each: {}", by.join(", "));
            self.held.clear();
        }
        (self.window, self.logged) = (Some(now), 0);
    }
}
