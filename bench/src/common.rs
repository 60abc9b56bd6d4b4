//! What both benchmarks share: server processes, result cells, test files,
//! and the figures read from /proc (CPU seconds, RSS, threads).

use std::path::Path;
use std::process::Child;

pub const RUNS: usize = 3;

/// A server under test; killed when dropped.
pub struct Server {
    pub name: &'static str,
    pub addr: std::net::SocketAddr,
    pub child: Child,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Median, min and max of one figure's runs.
pub struct Cell {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Cell {
    pub fn of(v: &[f64]) -> Cell {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        Cell { median: v[v.len() / 2], min: v[0], max: v[v.len() - 1] }
    }

    pub fn text(&self, decimals: usize) -> String {
        format!("{:.d$} ({:.d$}-{:.d$})", self.median, self.min, self.max, d = decimals)
    }
}

/// Pseudo-random bytes (xorshift), so nothing along the way can compress them.
pub fn make_file(path: &Path, len: usize) {
    let mut data = vec![0u8; len];
    let mut x: u32 = 0x9e37_79b9;
    for b in data.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = (x >> 24) as u8;
    }
    std::fs::write(path, data).unwrap();
}

pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
        .unwrap_or(0);
    format!("{cores} cores, {} GiB, Linux {}", (mem + (1 << 19)) >> 20, kernel.trim())
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

/// Fields of /proc/PID/stat after the command name (field 3 is index 0).
fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    Some(rest.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect())
}

/// CPU seconds used by `pid`, its threads, and every child it has reaped
/// (vsftpd's session processes are reaped by its listener once they end).
pub fn cpu_seconds(pid: u32) -> f64 {
    let f = stat_fields(pid).unwrap_or_default();
    // utime, stime, cutime, cstime are fields 14..=17.
    f.get(11..15).map(|t| t.iter().sum::<u64>() as f64 / ticks_per_second()).unwrap_or(0.0)
}

/// CPU seconds this benchmark process (the client) has used so far.
pub fn own_cpu_seconds() -> f64 {
    cpu_seconds(std::process::id())
}

/// `pid` and all its descendants.
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok())
            && let Some(f) = stat_fields(p)
        {
            parents.push((p, f[1] as u32));
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    tree
}

/// Waits until `pid` has no child processes left (sessions ended and reaped).
pub fn wait_children_gone(pid: u32) {
    for _ in 0..200 {
        if process_tree(pid).len() == 1 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Memory of a process tree: (RSS KiB summed, PSS KiB summed, processes, threads).
pub struct Footprint {
    pub rss_kib: u64,
    pub pss_kib: u64,
    pub processes: usize,
    pub threads: u64,
}

pub fn footprint(pid: u32) -> Footprint {
    let tree = process_tree(pid);
    let pss = |p: u32| {
        std::fs::read_to_string(format!("/proc/{p}/smaps_rollup"))
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("Pss:"))?.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0u64)
    };
    Footprint {
        rss_kib: tree.iter().map(|&p| status_kib(p, "VmRSS:")).sum(),
        pss_kib: tree.iter().map(|&p| pss(p)).sum(),
        processes: tree.len(),
        threads: tree.iter().map(|&p| status_kib(p, "Threads:")).sum(),
    }
}

/// Lets this process (and the servers it starts) hold `n` descriptors at
/// once, or as many as the hard limit allows.
pub fn raise_nofile(n: u64) {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit read and write a valid rlimit struct.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = n.min(lim.rlim_max);
        if lim.rlim_cur < n {
            eprintln!("warning: RLIMIT_NOFILE hard limit is {}, below the {n} wanted", lim.rlim_max);
        }
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
}
