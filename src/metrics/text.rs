//! The Prometheus text exposition format (version 0.0.4): `# HELP`,
//! `# TYPE`, then one `name{labels} value` line per series.

use super::{DURATION_BUCKETS, Histogram};
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

    pub(super) fn counter(&mut self, name: &str, help: &str, series: &[(Vec<(&str, &str)>, u64)]) {
        self.head(name, help, "counter");
        for (labels, v) in series {
            self.series(name, labels, v);
        }
    }

    pub(super) fn gauge(&mut self, name: &str, help: &str, series: &[(&[(&str, &str)], f64)]) {
        self.head(name, help, "gauge");
        for (labels, v) in series {
            self.series(name, labels, v);
        }
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
