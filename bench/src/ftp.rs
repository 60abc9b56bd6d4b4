//! `rftpd-bench ftp`: rftpd and vsftpd side by side on loopback, same root,
//! same requests, interleaved, every figure three times; prints medians,
//! min–max, the ratio rftpd/vsftpd, and server and client CPU beside the
//! throughput figures so a saturated client shows. `rftpd-bench idle N`
//! holds N logged-in idle sessions against rftpd alone.

use crate::client::{Ftp, Sink};
use crate::common::{Cell, Footprint, RUNS, Server, cpu_seconds, footprint, machine, make_file, own_cpu_seconds};
use crate::common::{raise_nofile, wait_children_gone};
use crate::peers::{self, free_port, wait_ready};
use crate::tls::Ftps;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const GIB: u64 = 1 << 30;
const MEDIUM: u64 = 10 << 20;
const SMALL: u64 = 4096;
const SMALL_FILES: usize = 1000;
const LISTING_FILES: usize = 10_000;
const LISTINGS: usize = 20;
const CLIENTS: usize = 8;
const SESSIONS: usize = 1000;
const MEDIUM_REPEATS: usize = 10;
const IDLE: usize = 1000;

/// What the servers serve: one tree, root-owned, with an `up/` directory the
/// anonymous user (vsftpd's `ftp`) may write.
/// The tree's `up/` directory, for [`remove_upload`].
static UPLOADS: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Removes an uploaded file behind the servers' backs: anonymous Pure-FTPd
/// users may neither delete nor overwrite, and every run uploads afresh.
fn remove_upload(name: &str) {
    std::fs::remove_file(UPLOADS.get().unwrap().join(name)).unwrap();
}

struct Tree {
    root: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        // The servers' config files go beside the tree, in the same scratch directory.
        let root = std::env::temp_dir().join(format!("rftpd-bench-ftp-{}", std::process::id())).join("tree");
        for d in ["", "up", "small", "list"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        Command::new("chown").args(["ftp:ftp"]).arg(root.join("up")).status().expect("chown");
        let _ = UPLOADS.set(root.join("up"));
        make_file(&root.join("big.bin"), GIB as usize);
        make_file(&root.join("medium.bin"), MEDIUM as usize);
        let small = vec![b'x'; SMALL as usize];
        for i in 0..SMALL_FILES {
            std::fs::write(root.join(format!("small/f{i:04}")), &small).unwrap();
        }
        for i in 0..LISTING_FILES {
            std::fs::write(root.join(format!("list/file-{i:05}.txt")), b"").unwrap();
        }
        Tree { root }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.root.parent().unwrap());
    }
}

fn start_rftpd(bin: &Path, root: &Path) -> Server {
    start_rftpd_with(bin, root, &[])
}

/// rftpd with `extra` KEY=VALUE settings on top of the bench's.
fn start_rftpd_with(bin: &Path, root: &Path, extra: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.args(["-c", "/dev/null", "-f"]);
    for kv in extra {
        cmd.args(["-o", kv]);
    }
    // RFTPD_BENCH_OPTS="KEY=VALUE …": rftpd settings to try, on top of the bench's.
    for kv in std::env::var("RFTPD_BENCH_OPTS").unwrap_or_default().split_whitespace() {
        cmd.args(["-o", kv]);
    }
    for kv in [
        "listen_address=127.0.0.1".to_string(),
        format!("listen_port={port}"),
        "anonymous_enable=YES".into(),
        format!("anon_root={}", root.display()),
        "write_enable=YES".into(),
        "anon_upload_enable=YES".into(),
        "anon_other_write_enable=YES".into(),
        "anon_umask=022".into(),
        "pasv_min_port=26000".into(),
        "pasv_max_port=31999".into(),
        "max_clients=12000".into(),
        "max_per_ip=0".into(),
        // Every bench client comes from 127.0.0.1: no per-address limits.
        "max_connect_rate=0".into(),
        "max_prelogin=0".into(),
        "max_prelogin_per_ip=0".into(),
        "log_level=warn".into(),
    ] {
        cmd.args(["-o", &kv]);
    }
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().expect("start rftpd");
    wait_ready(Server { name: "rftpd", addr: ([127, 0, 0, 1], port).into(), child })
}

/// One run of one figure: its value, and what it cost.
struct Sample {
    value: f64,
    server_cpu: f64,
    client_cpu: f64,
    latency_ms: Option<(f64, f64)>,
}

/// What a figure does to a server: returns the value and, for session
/// figures, (p50, p99) latency in ms.
type Work = fn(SocketAddr) -> (f64, Option<(f64, f64)>);

struct Figure {
    label: &'static str,
    unit: &'static str,
    /// GB moved per run, for CPU seconds per GB; 0 = CPU per run.
    gigabytes: f64,
    work: Work,
    /// Servers that have no such command.
    lacking: &'static [&'static str],
    /// The loopback ceiling this figure is held against, if any.
    ceiling: Option<Ceiling>,
}

fn sample(server: &Server, work: Work) -> Sample {
    // Earlier uploads' dirty pages go to disk first, untimed: otherwise
    // whichever server uploads next pays for their writeback.
    // SAFETY: sync(2) has no preconditions.
    unsafe { libc::sync() };
    let (server0, client0) = (cpu_seconds(server.pid()), own_cpu_seconds());
    let (value, latency_ms) = work(server.addr);
    wait_children_gone(server.pid());
    Sample {
        value,
        server_cpu: cpu_seconds(server.pid()) - server0,
        client_cpu: own_cpu_seconds() - client0,
        latency_ms,
    }
}

fn big_buffer() -> Vec<u8> {
    vec![0u8; 1 << 20]
}

fn retr_big(addr: SocketAddr, sink: Sink) -> (f64, Option<(f64, f64)>) {
    let mut ftp = Ftp::login(addr).unwrap();
    ftp.expect("TYPE I", 200).unwrap();
    let start = Instant::now();
    let got = ftp.download_into("RETR big.bin", &mut big_buffer(), sink).unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(got, GIB);
    ftp.quit().unwrap();
    (got as f64 / 1e6 / secs, None)
}

fn retr_big_copy(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    retr_big(addr, Sink::Copy)
}

fn retr_big_discard(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    retr_big(addr, Sink::Discard)
}

fn stor_big(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    let mut ftp = Ftp::login(addr).unwrap();
    ftp.expect("TYPE I", 200).unwrap();
    let chunk: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7 + 3) as u8).collect();
    let start = Instant::now();
    ftp.upload("STOR up/big.bin", GIB, &chunk).unwrap();
    let secs = start.elapsed().as_secs_f64();
    remove_upload("big.bin");
    ftp.quit().unwrap();
    (GIB as f64 / 1e6 / secs, None)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// `n` sessions over CLIENTS clients at once, each `session` timed: the
/// rate and (p50, p99) latency in ms.
fn session_rate(addr: SocketAddr, n: usize, session: fn(SocketAddr)) -> (f64, Option<(f64, f64)>) {
    let start = Instant::now();
    let handles: Vec<_> = (0..CLIENTS)
        .map(|_| {
            std::thread::spawn(move || {
                (0..n / CLIENTS)
                    .map(|_| {
                        let t = Instant::now();
                        session(addr);
                        t.elapsed().as_secs_f64() * 1000.0
                    })
                    .collect::<Vec<f64>>()
            })
        })
        .collect();
    let mut lat: Vec<f64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    let rate = lat.len() as f64 / start.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (rate, Some((percentile(&lat, 0.5), percentile(&lat, 0.99))))
}

fn sessions(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    session_rate(addr, SESSIONS, |addr| Ftp::login(addr).unwrap().quit().unwrap())
}

fn listings(addr: SocketAddr, verb: &str) -> (f64, Option<(f64, f64)>) {
    let mut ftp = Ftp::login(addr).unwrap();
    let mut buf = big_buffer();
    let start = Instant::now();
    for _ in 0..LISTINGS {
        let bytes = ftp.download(&format!("{verb} list"), &mut buf).unwrap();
        assert!(bytes > (LISTING_FILES * 20) as u64, "{verb} gave only {bytes} bytes");
    }
    let rate = LISTINGS as f64 / start.elapsed().as_secs_f64();
    ftp.quit().unwrap();
    (rate, None)
}

fn list(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    listings(addr, "LIST")
}

fn mlsd(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    listings(addr, "MLSD")
}

/// CLIENTS sessions at once, each running `one` (its downloads, returning
/// the bytes received), which must add up to MEDIUM_REPEATS files of
/// MEDIUM bytes each: the aggregate MB/s.
fn concurrently(
    addr: SocketAddr,
    one: impl Fn(SocketAddr) -> u64 + Copy + Send + 'static,
) -> (f64, Option<(f64, f64)>) {
    let start = Instant::now();
    let handles: Vec<_> = (0..CLIENTS).map(|_| std::thread::spawn(move || one(addr))).collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, MEDIUM * (CLIENTS * MEDIUM_REPEATS) as u64);
    (total as f64 / 1e6 / start.elapsed().as_secs_f64(), None)
}

fn concurrent_retr(addr: SocketAddr, sink: Sink) -> (f64, Option<(f64, f64)>) {
    concurrently(addr, move |addr| {
        let mut ftp = Ftp::login(addr).unwrap();
        ftp.expect("TYPE I", 200).unwrap();
        let mut buf = big_buffer();
        let total = (0..MEDIUM_REPEATS).map(|_| ftp.download_into("RETR medium.bin", &mut buf, sink).unwrap()).sum();
        ftp.quit().unwrap();
        total
    })
}

fn concurrent_retr_copy(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    concurrent_retr(addr, Sink::Copy)
}

fn concurrent_retr_discard(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    concurrent_retr(addr, Sink::Discard)
}

fn small_stor(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    let mut ftp = Ftp::login(addr).unwrap();
    ftp.expect("TYPE I", 200).unwrap();
    let chunk = vec![b'y'; SMALL as usize];
    let start = Instant::now();
    for i in 0..SMALL_FILES {
        ftp.upload(&format!("STOR up/s{i:04}"), SMALL, &chunk).unwrap();
    }
    let rate = SMALL_FILES as f64 / start.elapsed().as_secs_f64();
    for i in 0..SMALL_FILES {
        remove_upload(&format!("s{i:04}"));
    }
    ftp.quit().unwrap();
    (rate, None)
}

fn small_retr(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    let mut ftp = Ftp::login(addr).unwrap();
    ftp.expect("TYPE I", 200).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let start = Instant::now();
    for i in 0..SMALL_FILES {
        assert_eq!(ftp.download(&format!("RETR small/f{i:04}"), &mut buf).unwrap(), SMALL);
    }
    let rate = SMALL_FILES as f64 / start.elapsed().as_secs_f64();
    ftp.quit().unwrap();
    (rate, None)
}

/// A loopback ceiling: what moving the same bytes costs with no FTP at all.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ceiling {
    /// One 1 GiB file into one connection.
    One(Sink),
    /// 8 clients at once, each over ten fresh connections of 10 MiB.
    Eight(Sink),
}

impl Ceiling {
    const ALL: [Ceiling; 4] = [
        Ceiling::One(Sink::Copy),
        Ceiling::One(Sink::Discard),
        Ceiling::Eight(Sink::Copy),
        Ceiling::Eight(Sink::Discard),
    ];

    fn label(self) -> String {
        let sink = |s| if s == Sink::Copy { "client copies" } else { "client discards" };
        match self {
            Ceiling::One(s) => format!("1 GiB, one connection, {}", sink(s)),
            Ceiling::Eight(s) => format!("{CLIENTS} clients x {MEDIUM_REPEATS} connections of 10 MiB, {}", sink(s)),
        }
    }

    /// MB/s with sendfile calls of at most `call` bytes.
    fn measure(self, root: &Path, call: usize) -> f64 {
        match self {
            Ceiling::One(sink) => loopback_ceiling(root, "big.bin", GIB, 1, 1, sink, call),
            Ceiling::Eight(sink) => loopback_ceiling(root, "medium.bin", MEDIUM, CLIENTS, MEDIUM_REPEATS, sink, call),
        }
    }
}

/// The sendfile call sizes a ceiling is measured with: rftpd's 32 KiB, and
/// one call for the whole file (ProFTPD's way). Neither wins every row here
/// (into a client that discards, ProFTPD's whole-file calls reached three
/// times the 32 KiB ceiling), so a row's ceiling is the better of the two.
const CEILING_CALLS: [(usize, &str); 2] = [(32 * 1024, "32 KiB calls"), (usize::MAX, "one call per file")];

/// The loopback ceiling: `streams` clients at once, each connecting
/// `repeats` times (one connection per file, as FTP does) and reading
/// `file` (`size` bytes) sendfile(2)d by a thread of this process in calls
/// of at most `call` bytes, with no FTP around it.
fn loopback_ceiling(
    root: &Path,
    file: &str,
    size: u64,
    streams: usize,
    repeats: usize,
    sink: Sink,
    call: usize,
) -> f64 {
    let listener = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
    let addr = listener.local_addr().unwrap();
    let senders: Vec<_> = (0..streams)
        .map(|_| {
            let (listener, path) = (listener.clone(), root.join(file));
            std::thread::spawn(move || {
                for _ in 0..repeats {
                    let (sock, _) = listener.accept().unwrap();
                    let file = std::fs::File::open(&path).unwrap();
                    let mut left = size as usize;
                    while left > 0 {
                        // SAFETY: both fds are open for the whole call; a null offset uses the file position.
                        let n = unsafe {
                            libc::sendfile(sock.as_raw_fd(), file.as_raw_fd(), std::ptr::null_mut(), left.min(call))
                        };
                        assert!(n > 0, "sendfile: {}", std::io::Error::last_os_error());
                        left -= n as usize;
                    }
                }
            })
        })
        .collect();
    let start = Instant::now();
    let readers: Vec<_> = (0..streams)
        .map(|_| {
            std::thread::spawn(move || {
                let mut buf = big_buffer();
                let mut total = 0u64;
                for _ in 0..repeats {
                    let mut sock = TcpStream::connect(addr).unwrap();
                    loop {
                        match sink.recv(&mut sock, &mut buf).unwrap() {
                            0 => break,
                            n => total += n as u64,
                        }
                    }
                }
                total
            })
        })
        .collect();
    let total: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    let secs = start.elapsed().as_secs_f64();
    senders.into_iter().for_each(|s| s.join().unwrap());
    assert_eq!(total, size * (streams * repeats) as u64);
    total as f64 / 1e6 / secs
}

const NONE: &[&str] = &[];
const GB_1: f64 = GIB as f64 / 1e9;
const GB_8: f64 = (MEDIUM * (CLIENTS * MEDIUM_REPEATS) as u64) as f64 / 1e9;

const FIGURES: &[Figure] = &[
    Figure {
        label: "RETR 1 GiB, client copies",
        unit: "MB/s",
        gigabytes: GB_1,
        work: retr_big_copy,
        lacking: NONE,
        ceiling: Some(Ceiling::One(Sink::Copy)),
    },
    Figure {
        label: "RETR 1 GiB, client discards",
        unit: "MB/s",
        gigabytes: GB_1,
        work: retr_big_discard,
        lacking: NONE,
        ceiling: Some(Ceiling::One(Sink::Discard)),
    },
    Figure { label: "STOR 1 GiB", unit: "MB/s", gigabytes: GB_1, work: stor_big, lacking: NONE, ceiling: None },
    Figure {
        label: "connect+login+QUIT, 8 clients",
        unit: "sessions/s",
        gigabytes: 0.0,
        work: sessions,
        lacking: NONE,
        ceiling: None,
    },
    Figure {
        label: "LIST of 10,000 files",
        unit: "listings/s",
        gigabytes: 0.0,
        work: list,
        lacking: NONE,
        ceiling: None,
    },
    Figure {
        label: "MLSD of 10,000 files",
        unit: "listings/s",
        gigabytes: 0.0,
        work: mlsd,
        lacking: &["vsftpd"],
        ceiling: None,
    },
    Figure {
        label: "8 x 10 RETR of 10 MiB, copies",
        unit: "MB/s",
        gigabytes: GB_8,
        work: concurrent_retr_copy,
        lacking: NONE,
        ceiling: Some(Ceiling::Eight(Sink::Copy)),
    },
    Figure {
        label: "8 x 10 RETR of 10 MiB, discards",
        unit: "MB/s",
        gigabytes: GB_8,
        work: concurrent_retr_discard,
        lacking: NONE,
        ceiling: Some(Ceiling::Eight(Sink::Discard)),
    },
    Figure {
        label: "STOR 1,000 files of 4 KiB",
        unit: "files/s",
        gigabytes: 0.0,
        work: small_stor,
        lacking: NONE,
        ceiling: None,
    },
    Figure {
        label: "RETR 1,000 files of 4 KiB",
        unit: "files/s",
        gigabytes: 0.0,
        work: small_retr,
        lacking: NONE,
        ceiling: None,
    },
];

fn tls_retr_big(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    let mut ftps = Ftps::login(addr).unwrap();
    let start = Instant::now();
    let got = ftps.download("RETR big.bin", &mut big_buffer()).unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(got, GIB);
    ftps.quit().unwrap();
    (got as f64 / 1e6 / secs, None)
}

fn tls_stor_big(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    let mut ftps = Ftps::login(addr).unwrap();
    let chunk: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7 + 3) as u8).collect();
    let start = Instant::now();
    ftps.upload("STOR up/big.bin", GIB, &chunk).unwrap();
    let secs = start.elapsed().as_secs_f64();
    remove_upload("big.bin");
    ftps.quit().unwrap();
    (GIB as f64 / 1e6 / secs, None)
}

/// TLS sessions: connect, AUTH TLS, login, PBSZ, PROT, TYPE, QUIT.
const TLS_SESSIONS: usize = 400;

fn tls_sessions(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    session_rate(addr, TLS_SESSIONS, |addr| Ftps::login(addr).unwrap().quit().unwrap())
}

fn tls_concurrent_retr(addr: SocketAddr) -> (f64, Option<(f64, f64)>) {
    concurrently(addr, |addr| {
        let mut ftps = Ftps::login(addr).unwrap();
        let mut buf = big_buffer();
        let total = (0..MEDIUM_REPEATS).map(|_| ftps.download("RETR medium.bin", &mut buf).unwrap()).sum();
        ftps.quit().unwrap();
        total
    })
}

const TLS_FIGURES: &[Figure] = &[
    Figure {
        label: "FTPS RETR 1 GiB",
        unit: "MB/s",
        gigabytes: GB_1,
        work: tls_retr_big,
        lacking: NONE,
        ceiling: None,
    },
    Figure {
        label: "FTPS STOR 1 GiB",
        unit: "MB/s",
        gigabytes: GB_1,
        work: tls_stor_big,
        lacking: NONE,
        ceiling: None,
    },
    Figure {
        label: "FTPS login+QUIT, 8 clients",
        unit: "sessions/s",
        gigabytes: 0.0,
        work: tls_sessions,
        lacking: NONE,
        ceiling: None,
    },
    Figure {
        label: "FTPS 8 x 10 RETR of 10 MiB",
        unit: "MB/s",
        gigabytes: GB_8,
        work: tls_concurrent_retr,
        lacking: NONE,
        ceiling: None,
    },
];

/// Whether `f` is among the figures asked for: labels starting with one of
/// the prefixes in `only`, separated by | ("" = all).
fn picked(f: &Figure, only: &str) -> bool {
    only.split('|').any(|prefix| f.label.starts_with(prefix))
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 { format!("{:.2}x", a / b) } else { "n/a".into() }
}

/// The metrics endpoint's cost: rftpd with metrics_listen_address set
/// (and scraped every second, as Prometheus would) against rftpd without,
/// same tree, same run, runs interleaved.
pub fn metrics(bin: &Path, only: &str) {
    raise_nofile(65_536);
    let tree = Tree::new();
    let port = free_port();
    let on = format!("metrics_listen_address=127.0.0.1:{port}");
    // Both as the runner's own account: this needs no `ftp` account (no vsftpd here).
    let own = ["ftp_username=", "guest_username="];
    let servers = [start_rftpd_with(bin, &tree.root, &[&on, own[0], own[1]]), start_rftpd_with(bin, &tree.root, &own)];
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let scraper = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut scrapes = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                    use std::io::{Read, Write};
                    let _ = s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n");
                    let _ = s.read_to_end(&mut Vec::new());
                    scrapes += 1;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            scrapes
        })
    };
    println!("rftpd with metrics (scraped every second) vs without, {RUNS} interleaved runs: median (min-max)");
    println!("machine: {}", machine());
    println!("{:<32} {:>11} {:>24} {:>24} {:>7}", "figure", "unit", "metrics on", "metrics off", "ratio");
    for f in FIGURES.iter().filter(|f| picked(f, only)) {
        let mut runs: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        for round in 0..=RUNS {
            for i in [round % 2, 1 - round % 2] {
                let s = sample(&servers[i], f.work);
                if round > 0 {
                    runs[i].push(s.value);
                }
            }
        }
        let (a, b) = (Cell::of(&runs[0]), Cell::of(&runs[1]));
        println!("{:<32} {:>11} {:>24} {:>24} {:>7}", f.label, f.unit, a.text(1), b.text(1), ratio(a.median, b.median));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    println!("scrapes: {}", scraper.join().unwrap_or(0));
    drop(servers);
}

/// A figure's median rounded for a table: no decimals above 100.
fn short(v: f64) -> String {
    if v >= 100.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

fn cell_text(c: &Cell) -> String {
    format!("{} ({}-{})", short(c.median), short(c.min), short(c.max))
}

/// rftpd first (and, in the clear, rftpd with use_sendfile=NO), then each peer that started; RFTPD_BENCH_PEERS_ONLY=a,b
/// (names as in the table) runs only those peers, for a quick look.
/// With `tls` (a PEM file with certificate and key), every server offers
/// FTPS with it.
fn start_all(bin: &Path, root: &Path, tls: Option<&Path>) -> Vec<Server> {
    let only = std::env::var("RFTPD_BENCH_PEERS_ONLY").ok();
    let wanted = |name: &str| only.as_ref().is_none_or(|o| o.split(',').any(|n| n == name));
    let peers: [(&str, peers::Start); 3] =
        [("vsftpd", peers::vsftpd), ("proftpd", peers::proftpd), ("pure-ftpd", peers::pure_ftpd)];
    let rftpd = match tls {
        None => start_rftpd(bin, root),
        Some(pem) => {
            let cert = format!("rsa_cert_file={}", pem.display());
            start_rftpd_with(bin, root, &["ssl_enable=YES", "allow_anon_ssl=YES", &cert])
        }
    };
    let mut servers = vec![rftpd];
    if tls.is_none() {
        // sendfile(2) (the default, vsftpd's too) against read/write through a
        // 256 KiB buffer (use_sendfile=NO), as Pure-FTPd does (128 KiB).
        let mut copy = start_rftpd_with(bin, root, &["use_sendfile=NO"]);
        copy.name = "rftpd-copy";
        servers.push(copy);
    }
    servers.extend(peers.iter().filter(|(n, _)| wanted(n)).filter_map(|(_, start)| start(root, tls)));
    servers
}

/// Runs every figure whose label starts with `only` ("" = all, with the idle figure).
pub fn run(bin: &Path, only: &str) {
    raise_nofile(65_536);
    let tree = Tree::new();
    let servers = start_all(bin, &tree.root, None);
    let names: Vec<&str> = servers.iter().map(|s| s.name).collect();
    println!("rftpd vs {} on loopback, 1 warm-up + {RUNS} rotating runs each: median (min-max)", names[1..].join(", "));
    println!("rftpd-copy: rftpd with use_sendfile=NO (read/write through a 256 KiB buffer)");
    println!("machine: {}", machine());
    println!("loopback ceilings (sendfile, no FTP; each row's ceiling is the better call size), MB/s:");
    let figures: Vec<&Figure> = FIGURES.iter().filter(|f| picked(f, only)).collect();
    let mut ceilings = Vec::new();
    for c in Ceiling::ALL.into_iter().filter(|c| figures.iter().any(|f| f.ceiling == Some(*c))) {
        let mut best = 0.0f64;
        for (call, how) in CEILING_CALLS {
            let cell = Cell::of(&(0..RUNS).map(|_| c.measure(&tree.root, call)).collect::<Vec<_>>());
            println!("  {:<70} {}", format!("{}, {how}", c.label()), cell_text(&cell));
            best = best.max(cell.median);
        }
        ceilings.push((c, best));
    }
    println!();
    compare(&servers, &figures, &ceilings);
    drop(servers);
    if only.is_empty() || "idle".starts_with(only) {
        println!();
        idle_figure(bin, &tree.root, IDLE, true);
    }
}

/// The FTPS figures (`rftpd-bench ftps`): every server with the same
/// self-signed RSA-2048 certificate, a rustls client (TLS 1.3, or TLS 1.2
/// with AES-256-GCM under RFTPD_BENCH_TLS=1.2), PROT P data connections
/// that resume the control connection's session.
pub fn run_tls(bin: &Path, only: &str) {
    raise_nofile(65_536);
    let tree = Tree::new();
    let pem = crate::tls::certificate(tree.root.parent().unwrap());
    let servers = start_all(bin, &tree.root, Some(&pem));
    let names: Vec<&str> = servers.iter().map(|s| s.name).collect();
    println!(
        "FTPS ({}): rftpd vs {} on loopback, 1 warm-up + {RUNS} rotating runs each: median (min-max)",
        crate::tls::version(),
        names[1..].join(", ")
    );
    println!("machine: {}\n", machine());
    let figures: Vec<&Figure> = TLS_FIGURES.iter().filter(|f| picked(f, only)).collect();
    compare(&servers, &figures, &[]);
}

/// The table of `figures` for `servers` (rftpd first), then their CPU costs.
fn compare(servers: &[Server], figures: &[&Figure], ceilings: &[(Ceiling, f64)]) {
    let names: Vec<&str> = servers.iter().map(|s| s.name).collect();
    let w = 22;
    print!("{:<32} {:>10}", "figure", "unit");
    names.iter().for_each(|n| print!(" {n:>w$}"));
    // The rftpd columns against the best of the others.
    let ours: Vec<usize> = (0..servers.len()).filter(|&i| names[i].starts_with("rftpd")).collect();
    ours.iter().for_each(|&i| {
        print!(" {:>12}", format!("{} vs best", names[i].trim_start_matches("rftpd").trim_start_matches('-')).trim())
    });
    println!();
    let mut costs = Vec::new();
    for f in figures {
        let mut runs: Vec<Vec<Sample>> = servers.iter().map(|_| Vec::new()).collect();
        // One untimed round first: the first writer of fresh page-cache pages
        // in this VM pays for the host faulting them in (STOR 1 GiB ran at
        // 0.4 GB/s the first time and 1.0 GB/s after). Then the servers take
        // turns going first.
        for round in 0..=RUNS {
            for k in 0..servers.len() {
                let i = (round + k) % servers.len();
                if !f.lacking.contains(&servers[i].name) {
                    let s = sample(&servers[i], f.work);
                    if round > 0 {
                        runs[i].push(s);
                    }
                }
            }
        }
        let cells: Vec<Option<Cell>> = runs
            .iter()
            .map(|r| (!r.is_empty()).then(|| Cell::of(&r.iter().map(|s| s.value).collect::<Vec<_>>())))
            .collect();
        let best = (0..cells.len())
            .filter(|i| !ours.contains(i))
            .filter_map(|i| cells[i].as_ref())
            .map(|c| c.median)
            .fold(0.0, f64::max);
        print!("{:<32} {:>10}", f.label, f.unit);
        cells.iter().for_each(|c| print!(" {:>w$}", c.as_ref().map(cell_text).unwrap_or_else(|| "(none)".into())));
        ours.iter().for_each(|&i| print!(" {:>12}", ratio(cells[i].as_ref().unwrap().median, best)));
        println!();
        if let Some((_, ceiling)) = ceilings.iter().find(|(c, _)| Some(*c) == f.ceiling) {
            print!("{:<32} {:>10}", "  of the loopback ceiling", "");
            cells.iter().for_each(|c| {
                let pct = c.as_ref().map(|c| format!("{:.0}%", 100.0 * c.median / ceiling)).unwrap_or_default();
                print!(" {pct:>w$}");
            });
            println!();
        }
        costs.push((*f, runs));
    }
    println!(
        "\nserver CPU seconds (median of runs), per GB where data moved, else per run; client CPU for rftpd's runs"
    );
    print!("{:<32}", "figure");
    names.iter().for_each(|n| print!(" {n:>12}"));
    println!(" {:>12} {:>24}", "client", "latency p50/p99 ms");
    for (f, runs) in &costs {
        let per = if f.gigabytes > 0.0 { f.gigabytes } else { 1.0 };
        let median =
            |r: &Vec<Sample>, pick: fn(&Sample) -> f64| Cell::of(&r.iter().map(pick).collect::<Vec<_>>()).median;
        print!("{:<32}", f.label);
        for r in runs {
            let text = if r.is_empty() { "-".to_string() } else { format!("{:.2}", median(r, |s| s.server_cpu) / per) };
            print!(" {text:>12}");
        }
        let latency = runs
            .iter()
            .filter(|r| r.iter().any(|s| s.latency_ms.is_some()))
            .map(|r| {
                let p50 = median(r, |s| s.latency_ms.map_or(0.0, |l| l.0));
                let p99 = median(r, |s| s.latency_ms.map_or(0.0, |l| l.1));
                format!("{p50:.1}/{p99:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ");
        println!(" {:>12.2} {latency:>24}", median(&runs[0], |s| s.client_cpu) / per);
    }
}

/// Holds `n` logged-in idle sessions against a freshly started server and
/// reports what each costs the server beyond its idle footprint.
fn idle_sessions(server: &Server, n: usize) -> (Footprint, Footprint) {
    // One login first, so that what the first login loads once (rftpd's
    // NSS modules for ftp_username: 0.9 MiB over 1,000 sessions) is not
    // counted per session.
    Ftp::login(server.addr).unwrap().quit().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let before = footprint(server.pid());
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        held.push(Ftp::login(server.addr).unwrap());
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = footprint(server.pid());
    drop(held);
    (before, after)
}

fn idle_figure(bin: &Path, root: &Path, n: usize, with_vsftpd: bool) {
    println!("{n} logged-in idle sessions, each server freshly started; per session = (with - before) / {n}");
    println!(
        "{:<8} {:>16} {:>16} {:>12} {:>12} {:>14}",
        "server", "RSS KiB/session", "PSS KiB/session", "processes", "threads", "RSS total MiB"
    );
    let mut per = Vec::new();
    for _ in 0..RUNS {
        let mut servers = vec![start_rftpd(bin, root)];
        if with_vsftpd {
            servers.extend(peers::vsftpd(root, None));
        }
        for s in &servers {
            let (before, after) = idle_sessions(s, n);
            per.push((s.name, before, after));
        }
    }
    for name in ["rftpd", "vsftpd"] {
        let runs: Vec<_> = per.iter().filter(|(s, ..)| *s == name).collect();
        if runs.is_empty() {
            continue;
        }
        let rss = Cell::of(&runs.iter().map(|(_, b, a)| (a.rss_kib - b.rss_kib) as f64 / n as f64).collect::<Vec<_>>());
        let pss = Cell::of(&runs.iter().map(|(_, b, a)| (a.pss_kib - b.pss_kib) as f64 / n as f64).collect::<Vec<_>>());
        let (_, _, last) = runs[runs.len() - 1];
        println!(
            "{:<8} {:>16} {:>16} {:>12} {:>12} {:>14.1}",
            name,
            rss.text(1),
            pss.text(1),
            last.processes,
            last.threads,
            last.rss_kib as f64 / 1024.0
        );
    }
}

/// `rftpd-bench idle N`: rftpd alone (vsftpd would need 2×N processes).
pub fn idle(bin: &Path, n: usize) {
    raise_nofile(n as u64 + 1024);
    let root = std::env::temp_dir().join(format!("rftpd-bench-idle-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    println!("machine: {}", machine());
    idle_figure(bin, &root, n, false);
    let _ = std::fs::remove_dir_all(&root);
}
