//! `rftpd-bench tftp`: rtftpd, tftpd-hpa and atftpd side by side on
//! loopback, the same requests against each, interleaved, each figure three
//! times; prints medians, min–max and the ratio of rtftpd to the best peer.
//! A blocking std::net client in this process is the load generator; its
//! socket has a 4 MiB receive buffer, so a window of large blocks is not
//! lost in the client's queue.

use crate::common::{Cell, RUNS, Server, machine, make_file};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIG: usize = 100 << 20;
const CONCURRENT: usize = 20;
const SMALL: usize = 10 << 20;

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_rtftpd(bin: &Path, root: &Path) -> Server {
    let port = free_port();
    let child = Command::new(bin)
        .args(["-c", "/dev/null", "-f", "-o", "listen_address=127.0.0.1", "-o", &format!("listen_port={port}")])
        .arg("-o")
        .arg(format!("tftp_root={}", root.display()))
        .args(["-o", "log_level=warn", "-o", "max_windowsize=64", "-o", "max_per_ip=0", "-o", "tftp_username="])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start rtftpd");
    Server { name: "rtftpd", addr: ([127, 0, 0, 1], port).into(), child }
}

fn start_tftpd_hpa(root: &Path) -> Server {
    let port = free_port();
    let child = Command::new("in.tftpd")
        .args(["-L", "-a", &format!("127.0.0.1:{port}"), "-s"])
        .arg(root)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start in.tftpd (apt-get install tftpd-hpa)");
    Server { name: "tftpd-hpa", addr: ([127, 0, 0, 1], port).into(), child }
}

/// atftpd from `make bench-peers` (it conflicts with tftpd-hpa as a package).
fn start_atftpd(root: &Path) -> Option<Server> {
    let dir = std::env::var_os("RFTPD_BENCH_PEERS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "target/bench-peers".into());
    let bin = dir.join("usr/sbin/atftpd");
    if !bin.exists() {
        eprintln!("atftpd left out: run `make bench-peers` first");
        return None;
    }
    let port = free_port();
    let child = Command::new(bin)
        .args(["--daemon", "--no-fork", "--bind-address", "127.0.0.1", "--port", &port.to_string()])
        .args(["--logfile", "/dev/null", "--user", "root", "--group", "root", "-m", "200"])
        .arg(root)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .ok()?;
    Some(Server { name: "atftpd", addr: ([127, 0, 0, 1], port).into(), child })
}

fn request(name: &str, opts: &[(&str, String)]) -> Vec<u8> {
    let mut p = vec![0, 1];
    for s in [name, "octet"].into_iter().chain(opts.iter().flat_map(|(k, v)| [*k, v.as_str()])) {
        p.extend_from_slice(s.as_bytes());
        p.push(0);
    }
    p
}

/// Fetches `name` with the given options; returns the bytes received.
fn fetch(server: SocketAddr, name: &str, blksize: usize, windowsize: usize) -> u64 {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let rcvbuf: libc::c_int = 4 << 20;
    // SAFETY: the socket is open; the option value is a c_int of the size passed.
    unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(&sock),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&rcvbuf as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    let mut opts = vec![("blksize", blksize.to_string())];
    if windowsize > 1 {
        opts.push(("windowsize", windowsize.to_string()));
    }
    sock.send_to(&request(name, &opts), server).unwrap();
    let mut buf = vec![0u8; 65_536 + 4];
    let (mut blk, mut win) = (512usize, 1usize);
    let mut expected: u16 = 1;
    let mut in_window = 0;
    let mut total = 0u64;
    let mut tid = None;
    loop {
        let (n, from) = sock.recv_from(&mut buf).expect("server stopped answering");
        let tid = *tid.get_or_insert(from);
        match u16::from_be_bytes([buf[0], buf[1]]) {
            6 => {
                // OACK: what the server granted (absent options keep their defaults).
                let parts: Vec<&[u8]> = buf[2..n].split(|&b| b == 0).collect();
                for kv in parts.chunks_exact(2) {
                    let v: usize = std::str::from_utf8(kv[1]).unwrap_or("0").parse().unwrap_or(0);
                    match kv[0] {
                        b"blksize" => blk = v,
                        b"windowsize" => win = v,
                        _ => {}
                    }
                }
                sock.send_to(&[0, 4, 0, 0], tid).unwrap();
            }
            3 => {
                let block = u16::from_be_bytes([buf[2], buf[3]]);
                if block != expected {
                    sock.send_to(&[0, 4, (expected.wrapping_sub(1) >> 8) as u8, expected.wrapping_sub(1) as u8], tid)
                        .unwrap();
                    in_window = 0;
                    continue;
                }
                let len = n - 4;
                total += len as u64;
                in_window += 1;
                let last = len < blk;
                if last || in_window == win {
                    sock.send_to(&[0, 4, buf[2], buf[3]], tid).unwrap();
                    in_window = 0;
                }
                if last {
                    return total;
                }
                expected = expected.wrapping_add(1);
            }
            5 => panic!("{server}: ERROR {}", String::from_utf8_lossy(&buf[4..n])),
            _ => {}
        }
    }
}

/// MB/s of one figure against one server.
fn measure(server: &Server, figure: &Figure) -> f64 {
    let start = Instant::now();
    let bytes: u64 = if figure.concurrent > 1 {
        let handles: Vec<_> = (0..figure.concurrent)
            .map(|_| {
                let (addr, name, blk, win) = (server.addr, figure.file, figure.blksize, figure.windowsize);
                std::thread::spawn(move || fetch(addr, name, blk, win))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    } else {
        fetch(server.addr, figure.file, figure.blksize, figure.windowsize)
    };
    bytes as f64 / 1e6 / start.elapsed().as_secs_f64()
}

struct Figure {
    label: String,
    file: &'static str,
    blksize: usize,
    windowsize: usize,
    concurrent: usize,
}

pub fn run(bin: &Path) {
    let root = std::env::temp_dir().join(format!("rftpd-bench-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    make_file(&root.join("big.bin"), BIG);
    make_file(&root.join("small.bin"), SMALL);
    let mut servers = vec![start_rtftpd(bin, &root), start_tftpd_hpa(&root)];
    servers.extend(start_atftpd(&root));
    std::thread::sleep(Duration::from_millis(300));
    let one = |blksize, windowsize| Figure {
        label: if windowsize > 1 {
            format!("RRQ 100 MiB blksize {blksize} windowsize {windowsize}")
        } else {
            format!("RRQ 100 MiB blksize {blksize}")
        },
        file: "big.bin",
        blksize,
        windowsize,
        concurrent: 1,
    };
    let mut figures: Vec<Figure> = [512, 1428, 8192, 65464].iter().map(|&b| one(b, 1)).collect();
    figures.push(one(1428, 16));
    figures.push(one(65464, 16));
    figures.push(Figure {
        label: format!("{CONCURRENT} concurrent RRQ 10 MiB blksize 1428"),
        file: "small.bin",
        blksize: 1428,
        windowsize: 1,
        concurrent: CONCURRENT,
    });
    // RFTPD_BENCH_FIGURE=PREFIX runs only the figures whose label starts with it.
    let only = std::env::var("RFTPD_BENCH_FIGURE").unwrap_or_default();
    figures.retain(|f| f.label.starts_with(&only));
    let names: Vec<&str> = servers.iter().map(|s| s.name).collect();
    println!("rtftpd vs {} on loopback, {RUNS} rotating runs each, MB/s (median, min-max)", names[1..].join(", "));
    println!("machine: {}", machine());
    print!("{:<44}", "figure");
    names.iter().for_each(|n| print!(" {n:>22}"));
    println!(" {:>8}", "vs best");
    for f in &figures {
        let mut results: Vec<Vec<f64>> = servers.iter().map(|_| Vec::new()).collect();
        for round in 0..RUNS {
            for k in 0..servers.len() {
                let i = (round + k) % servers.len();
                results[i].push(measure(&servers[i], f));
            }
        }
        let cells: Vec<Cell> = results.iter().map(|r| Cell::of(r)).collect();
        let best = cells[1..].iter().map(|c| c.median).fold(0.0, f64::max);
        print!("{:<44}", f.label);
        cells.iter().for_each(|c| print!(" {:>22}", c.text(1)));
        println!(" {:>7.2}x", cells[0].median / best);
    }
    println!("(tftpd-hpa has no windowsize option: it answers the windowsize runs with one block per ACK)");
    let _ = std::fs::remove_dir_all(&root);
}
