//! The Prometheus text exposition format (version 0.0.4): `# HELP`,
//! `# TYPE`, then one `name{labels} value` line per series.

use super::{Counter, DURATION_BUCKETS, Histogram};
use std::fmt::Write;

pub(super) struct Text {
    prefix: &'static str,
    out: String,
}

impl Text {
    pub(super) fn new(prefix: &'static str) -> Text {
        Text { prefix, out: String::with_capacity(4096) }
    }

    fn head(&mut self, name: &str, help: &str, kind: &str) {
        let p = self.prefix;
        let _ = writeln!(self.out, "# HELP {p}_{name} {help}\n# TYPE {p}_{name} {kind}");
    }

    fn series(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let _ = write!(self.out, "{}_{name}", self.prefix);
        if !labels.is_empty() {
            let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            let _ = write!(self.out, "{{{}}}", inner.join(","));
        }
        let _ = writeln!(self.out, " {value}");
    }

    /// A counter without labels.
    pub(super) fn total(&mut self, name: &str, help: &str, c: &Counter) {
        self.head(name, help, "counter");
        self.series(name, &[], c.get());
    }

    /// A counter with one label: `values[i]` names `counters[i]`.
    pub(super) fn by(&mut self, name: &str, help: &str, label: &str, values: &[&str], counters: &[Counter]) {
        self.head(name, help, "counter");
        for (v, c) in values.iter().zip(counters) {
            self.series(name, &[(label, v)], c.get());
        }
    }

    /// A counter with two labels: `rows[i][j]` is (`outer.1[i]`, `inner.1[j]`).
    pub(super) fn by2<const N: usize>(
        &mut self,
        name: &str,
        help: &str,
        outer: (&str, &[&str]),
        inner: (&str, &[&str]),
        rows: &[[Counter; N]],
    ) {
        self.head(name, help, "counter");
        for (o, row) in outer.1.iter().zip(rows) {
            for (i, c) in inner.1.iter().zip(row) {
                self.series(name, &[(outer.0, o), (inner.0, i)], c.get());
            }
        }
    }

    /// A gauge without labels.
    pub(super) fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.head(name, help, "gauge");
        self.series(name, &[], value);
    }

    pub(super) fn histogram(&mut self, name: &str, help: &str, h: &Histogram) {
        self.head(name, help, "histogram");
        let mut cumulative = 0;
        for (bound, c) in DURATION_BUCKETS.iter().zip(&h.buckets) {
            cumulative += c.get();
            let le = bound.to_string();
            self.series(&format!("{name}_bucket"), &[("le", &le)], cumulative);
        }
        self.series(&format!("{name}_bucket"), &[("le", "+Inf")], h.count.get());
        self.series(&format!("{name}_sum"), &[], h.sum_micros.get() as f64 / 1e6);
        self.series(&format!("{name}_count"), &[], h.count.get());
    }

    /// Build info and start time, which every exporter has.
    pub(super) fn common(&mut self, start: f64) {
        self.head("build_info", "Version of the running binary (value is 1).", "gauge");
        self.series("build_info", &[("version", env!("CARGO_PKG_VERSION"))], 1);
        self.head("process_start_time_seconds", "Start time of the process since the Unix epoch.", "gauge");
        self.series("process_start_time_seconds", &[], start);
    }

    pub(super) fn finish(self) -> String {
        self.out
    }
}
