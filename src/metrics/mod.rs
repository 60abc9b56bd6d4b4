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

/// rftpd's metrics in the text exposition format.
pub(crate) fn render_ftp() -> String {
    let m = &FTP;
    let mut t = text::Text::new("rftpd");
    t.common(START.get().copied().unwrap_or(0.0));
    t.gauge("sessions_active", "Sessions open now.", &[(&[][..], m.sessions_active.get() as f64)]);
    let ends: Vec<_> = SESSION_ENDS.iter().zip(&m.sessions_ended).map(|(e, c)| (vec![("end", *e)], c.get())).collect();
    t.counter("sessions_total", "Sessions ended, by how they ended.", &ends);
    let mut logins = Vec::new();
    for (kind, row) in ["anonymous", "virtual", "system"].iter().zip(&m.logins) {
        for (result, c) in ["ok", "failed"].iter().zip(row) {
            logins.push((vec![("kind", *kind), ("result", *result)], c.get()));
        }
    }
    t.counter("logins_total", "Login attempts, by account kind and result.", &logins);
    t.counter(
        "sent_bytes_total",
        "Bytes sent on data connections (files and listings).",
        &[(vec![], m.bytes_sent.get())],
    );
    t.counter("received_bytes_total", "Bytes received on data connections.", &[(vec![], m.bytes_received.get())]);
    let mut transfers = Vec::new();
    for (dir, row) in ["download", "upload"].iter().zip(&m.transfers) {
        for (result, c) in ["ok", "failed", "aborted"].iter().zip(row) {
            transfers.push((vec![("direction", *dir), ("result", *result)], c.get()));
        }
    }
    t.counter("transfers_total", "File transfers, by direction and result.", &transfers);
    t.histogram("transfer_duration_seconds", "How long file transfers took.", &m.transfer_seconds);
    let listings: Vec<_> =
        ["ok", "failed"].iter().zip(&m.listings).map(|(r, c)| (vec![("result", *r)], c.get())).collect();
    t.counter("listings_total", "Directory listings sent, by result.", &listings);
    let tls: Vec<_> =
        ["ok", "failed"].iter().zip(&m.tls_handshakes).map(|(r, c)| (vec![("result", *r)], c.get())).collect();
    t.counter("tls_handshakes_total", "TLS handshakes on control connections, by result.", &tls);
    let mut data = Vec::new();
    for (mode, row) in ["active", "passive"].iter().zip(&m.data_connections) {
        for (result, c) in ["ok", "failed"].iter().zip(row) {
            data.push((vec![("mode", *mode), ("result", *result)], c.get()));
        }
    }
    t.counter("data_connections_total", "Data connections, by mode and result.", &data);
    let refusals: Vec<_> = REFUSALS.iter().zip(&m.refusals).map(|(r, c)| (vec![("reason", *r)], c.get())).collect();
    t.counter("refusals_total", "Connections refused with 421, by reason.", &refusals);
    let reloads: Vec<_> =
        ["ok", "failed"].iter().zip(&m.reloads).map(|(r, c)| (vec![("result", *r)], c.get())).collect();
    t.counter("config_reloads_total", "Configuration reloads (SIGHUP), by result.", &reloads);
    let hooks: Vec<_> =
        ["ok", "failed", "skipped"].iter().zip(&m.upload_hooks).map(|(r, c)| (vec![("result", *r)], c.get())).collect();
    t.counter("upload_hooks_total", "upload_hook runs, by result.", &hooks);
    t.counter(
        "proxy_health_checks_total",
        "PROXY LOCAL connections (a balancer's health checks).",
        &[(vec![], m.proxy_health_checks.get())],
    );
    if let Some(p) = PROBES.get() {
        let (busy, alive) = (p.workers)();
        t.gauge("workers_busy", "Worker threads running a session.", &[(&[][..], busy as f64)]);
        t.gauge(
            "workers_idle",
            "Worker threads waiting for a session.",
            &[(&[][..], alive.saturating_sub(busy) as f64)],
        );
        t.gauge("bans_active", "Client addresses banned now.", &[(&[][..], (p.bans)() as f64)]);
    }
    t.finish()
}

/// rtftpd's metrics in the text exposition format.
pub(crate) fn render_tftp() -> String {
    let m = &TFTP;
    let mut t = text::Text::new("rtftpd");
    t.common(START.get().copied().unwrap_or(0.0));
    let mut transfers = Vec::new();
    for (dir, row) in ["read", "write"].iter().zip(&m.transfers) {
        for (result, c) in ["ok", "failed"].iter().zip(row) {
            transfers.push((vec![("direction", *dir), ("result", *result)], c.get()));
        }
    }
    t.counter("transfers_total", "Transfers (RRQ read, WRQ write), by result.", &transfers);
    t.counter("sent_bytes_total", "File bytes sent.", &[(vec![], m.bytes_sent.get())]);
    t.counter("received_bytes_total", "File bytes received.", &[(vec![], m.bytes_received.get())]);
    t.counter("retransmissions_total", "Packets sent again after a timeout.", &[(vec![], m.retransmissions.get())]);
    let options: Vec<_> = TFTP_OPTIONS.iter().zip(&m.options).map(|(o, c)| (vec![("option", *o)], c.get())).collect();
    t.counter("options_negotiated_total", "Options acknowledged in an OACK, by option.", &options);
    let refusals: Vec<_> =
        ["busy", "max_per_ip"].iter().zip(&m.refusals).map(|(r, c)| (vec![("reason", *r)], c.get())).collect();
    t.counter("refusals_total", "Requests refused, by reason.", &refusals);
    if let Some(p) = PROBES.get() {
        let (busy, alive) = (p.workers)();
        t.gauge("workers_busy", "Worker threads running a transfer.", &[(&[][..], busy as f64)]);
        t.gauge(
            "workers_idle",
            "Worker threads waiting for a request.",
            &[(&[][..], alive.saturating_sub(busy) as f64)],
        );
    }
    t.finish()
}
