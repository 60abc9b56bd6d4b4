//! Prometheus metrics: counters and gauges as atomics the servers bump on
//! their way (no lock, nothing per data block), rendered in the text
//! exposition format by [`http`] on `metrics_listen_address`. Written by
//! hand: the format is a few lines of text, and a client crate would bring
//! a registry and locks the hot paths do not need.

pub(crate) mod http;
mod text;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// A monotonic count.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    pub(crate) const fn new() -> Counter {
        Counter(AtomicU64::new(0))
    }
    pub(crate) fn inc(&self) {
        self.add(1);
    }
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug, Default)]
pub(crate) struct Gauge(AtomicI64);

impl Gauge {
    pub(crate) const fn new() -> Gauge {
        Gauge(AtomicI64::new(0))
    }
    pub(crate) fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
    pub(crate) fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Upper bounds (seconds) of the transfer duration histogram's buckets.
pub(crate) const DURATION_BUCKETS: [f64; 8] = [0.01, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0, 600.0];

/// Durations counted per bucket (cumulative at render time), with sum and count.
#[derive(Debug)]
pub(crate) struct Histogram {
    buckets: [Counter; DURATION_BUCKETS.len()],
    count: Counter,
    sum_micros: Counter,
}

impl Histogram {
    pub(crate) const fn new() -> Histogram {
        Histogram {
            buckets: [const { Counter::new() }; DURATION_BUCKETS.len()],
            count: Counter::new(),
            sum_micros: Counter::new(),
        }
    }
    pub(crate) fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = DURATION_BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].inc();
        }
        self.count.inc();
        self.sum_micros.add(d.as_micros() as u64);
    }
}

/// rftpd's metrics. Label values are fixed, so each series is one counter.
pub(crate) struct Ftp {
    pub(crate) sessions_active: Gauge,
    /// By how the session ended: [`SessionEnd`].
    pub(crate) sessions_ended: [Counter; 5],
    /// By account kind (anonymous, virtual, system) × result (ok, failed).
    pub(crate) logins: [[Counter; 2]; 3],
    pub(crate) bytes_sent: Counter,
    pub(crate) bytes_received: Counter,
    /// By direction (download, upload) × result (ok, failed, aborted).
    pub(crate) transfers: [[Counter; 3]; 2],
    pub(crate) transfer_seconds: Histogram,
    /// By result (ok, failed).
    pub(crate) listings: [Counter; 2],
    /// By result (ok, failed).
    pub(crate) tls_handshakes: [Counter; 2],
    /// By mode (active, passive) × result (ok, failed).
    pub(crate) data_connections: [[Counter; 2]; 2],
    /// By [`Refusal`].
    pub(crate) refusals: [Counter; 5],
    /// By result (ok, failed).
    pub(crate) reloads: [Counter; 2],
    /// By result (ok, failed, skipped).
    pub(crate) upload_hooks: [Counter; 3],
    /// PROXY LOCAL connections (a balancer's health checks).
    pub(crate) proxy_health_checks: Counter,
}

pub(crate) static FTP: Ftp = Ftp {
    sessions_active: Gauge::new(),
    sessions_ended: [const { Counter::new() }; 5],
    logins: [const { [const { Counter::new() }; 2] }; 3],
    bytes_sent: Counter::new(),
    bytes_received: Counter::new(),
    transfers: [const { [const { Counter::new() }; 3] }; 2],
    transfer_seconds: Histogram::new(),
    listings: [const { Counter::new() }; 2],
    tls_handshakes: [const { Counter::new() }; 2],
    data_connections: [const { [const { Counter::new() }; 2] }; 2],
    refusals: [const { Counter::new() }; 5],
    reloads: [const { Counter::new() }; 2],
    upload_hooks: [const { Counter::new() }; 3],
    proxy_health_checks: Counter::new(),
};

/// How a session ended, for `rftpd_sessions_total{end=…}`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SessionEnd {
    Quit = 0,
    ClientClosed = 1,
    Timeout = 2,
    Error = 3,
    Shutdown = 4,
}

const SESSION_ENDS: [&str; 5] = ["quit", "client_closed", "timeout", "error", "shutdown"];

/// Why the master refused a connection, for `rftpd_refusals_total{reason=…}`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    MaxClients = 0,
    MaxPerIp = 1,
    Ban = 2,
    Rate = 3,
    PreLogin = 4,
}

const REFUSALS: [&str; 5] = ["max_clients", "max_per_ip", "ban", "rate", "prelogin"];

/// rtftpd's metrics.
pub(crate) struct Tftp {
    /// By direction (read, write) × result (ok, failed).
    pub(crate) transfers: [[Counter; 2]; 2],
    pub(crate) bytes_sent: Counter,
    pub(crate) bytes_received: Counter,
    pub(crate) retransmissions: Counter,
    /// By option (blksize, tsize, timeout, windowsize).
    pub(crate) options: [Counter; 4],
    /// By reason (busy, max_per_ip).
    pub(crate) refusals: [Counter; 2],
}

pub(crate) static TFTP: Tftp = Tftp {
    transfers: [const { [const { Counter::new() }; 2] }; 2],
    bytes_sent: Counter::new(),
    bytes_received: Counter::new(),
    retransmissions: Counter::new(),
    options: [const { Counter::new() }; 4],
    refusals: [const { Counter::new() }; 2],
};

pub(crate) const TFTP_OPTIONS: [&str; 4] = ["blksize", "tsize", "timeout", "windowsize"];

/// Gauges read from elsewhere when scraped: workers busy and alive, live bans.
pub(crate) struct Probes {
    pub(crate) workers: Box<dyn Fn() -> (usize, usize) + Send + Sync>,
    pub(crate) bans: Box<dyn Fn() -> usize + Send + Sync>,
}

pub(crate) static PROBES: OnceLock<Probes> = OnceLock::new();

static START: OnceLock<f64> = OnceLock::new();

/// Notes the process start time (for `*_process_start_time_seconds`).
pub(crate) fn started() {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64());
    let _ = START.set(now.unwrap_or(0.0));
}

const RESULTS: [&str; 2] = ["ok", "failed"];

/// Starts the /metrics endpoint on `addr` with `render`; `probes` give the
/// gauges read at scrape time.
pub(crate) fn serve(addr: std::net::SocketAddr, render: fn() -> String, probes: Probes) -> std::io::Result<()> {
    let _ = PROBES.set(probes);
    http::start(addr, render).map_err(|e| std::io::Error::new(e.kind(), format!("metrics_listen_address {addr}: {e}")))
}

/// The workers gauges: what a busy worker runs, what an idle one waits for.
fn workers(t: &mut text::Text, runs: &str, waits_for: &str) {
    if let Some(p) = PROBES.get() {
        let (busy, alive) = (p.workers)();
        t.gauge("workers_busy", &format!("Worker threads running a {runs}."), busy as f64);
        let idle = alive.saturating_sub(busy) as f64;
        t.gauge("workers_idle", &format!("Worker threads waiting for a {waits_for}."), idle);
    }
}

/// rftpd's metrics in the text exposition format.
pub(crate) fn render_ftp() -> String {
    let m = &FTP;
    let mut t = text::Text::new("rftpd");
    t.common(START.get().copied().unwrap_or(0.0));
    t.gauge("sessions_active", "Sessions open now.", m.sessions_active.get() as f64);
    t.by("sessions_total", "Sessions ended, by how they ended.", "end", &SESSION_ENDS, &m.sessions_ended);
    let kinds = ("kind", &["anonymous", "virtual", "system"][..]);
    t.by2("logins_total", "Login attempts, by account kind and result.", kinds, ("result", &RESULTS), &m.logins);
    t.total("sent_bytes_total", "Bytes sent on data connections (files and listings).", &m.bytes_sent);
    t.total("received_bytes_total", "Bytes received on data connections.", &m.bytes_received);
    let directions = ("direction", &["download", "upload"][..]);
    let results = ("result", &["ok", "failed", "aborted"][..]);
    t.by2("transfers_total", "File transfers, by direction and result.", directions, results, &m.transfers);
    t.histogram("transfer_duration_seconds", "How long file transfers took.", &m.transfer_seconds);
    t.by("listings_total", "Directory listings sent, by result.", "result", &RESULTS, &m.listings);
    let tls = "TLS handshakes on control connections, by result.";
    t.by("tls_handshakes_total", tls, "result", &RESULTS, &m.tls_handshakes);
    let modes = ("mode", &["active", "passive"][..]);
    let data = "Data connections, by mode and result.";
    t.by2("data_connections_total", data, modes, ("result", &RESULTS), &m.data_connections);
    t.by("refusals_total", "Connections refused with 421, by reason.", "reason", &REFUSALS, &m.refusals);
    let reloads = "Configuration reloads (SIGHUP), by result.";
    t.by("config_reloads_total", reloads, "result", &RESULTS, &m.reloads);
    let hooks = ["ok", "failed", "skipped"];
    t.by("upload_hooks_total", "upload_hook runs, by result.", "result", &hooks, &m.upload_hooks);
    let checks = "PROXY LOCAL connections (a balancer's health checks).";
    t.total("proxy_health_checks_total", checks, &m.proxy_health_checks);
    workers(&mut t, "session", "session");
    if let Some(p) = PROBES.get() {
        t.gauge("bans_active", "Client addresses banned now.", (p.bans)() as f64);
    }
    t.finish()
}

/// rtftpd's metrics in the text exposition format.
pub(crate) fn render_tftp() -> String {
    let m = &TFTP;
    let mut t = text::Text::new("rtftpd");
    t.common(START.get().copied().unwrap_or(0.0));
    let directions = ("direction", &["read", "write"][..]);
    let transfers = "Transfers (RRQ read, WRQ write), by result.";
    t.by2("transfers_total", transfers, directions, ("result", &RESULTS), &m.transfers);
    t.total("sent_bytes_total", "File bytes sent.", &m.bytes_sent);
    t.total("received_bytes_total", "File bytes received.", &m.bytes_received);
    t.total("retransmissions_total", "Packets sent again after a timeout.", &m.retransmissions);
    let options = "Options acknowledged in an OACK, by option.";
    t.by("options_negotiated_total", options, "option", &TFTP_OPTIONS, &m.options);
    t.by("refusals_total", "Requests refused, by reason.", "reason", &["busy", "max_per_ip"], &m.refusals);
    workers(&mut t, "transfer", "request");
    t.finish()
}
