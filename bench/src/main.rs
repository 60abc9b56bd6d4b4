//! `make bench`: side-by-side benchmarks on loopback, never part of `make test`.
//!
//! - `rftpd-bench ftp PATH-TO-rftpd [FIGURE]`: rftpd against vsftpd (only
//!   the figures whose label starts with FIGURE, if given);
//! - `rftpd-bench idle PATH-TO-rftpd N`: N logged-in idle rftpd sessions;
//! - `rftpd-bench ftps PATH-TO-rftpd [FIGURE]`: the same over FTPS (TLS 1.3,
//!   or TLS 1.2 with RFTPD_BENCH_TLS=1.2);
//! - `rftpd-bench tftp PATH-TO-rtftpd`: rtftpd against tftpd-hpa;
//! - `rftpd-bench metrics PATH-TO-rftpd [FIGURE]`: rftpd with the metrics
//!   endpoint on (and scraped) against rftpd without.

mod client;
mod common;
mod ftp;
mod peers;
mod tftp;
mod tls;

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["ftp", bin] => ftp::run(Path::new(bin), ""),
        ["ftp", bin, only] => ftp::run(Path::new(bin), only),
        ["idle", bin, n] if n.parse::<usize>().is_ok() => ftp::idle(Path::new(bin), n.parse().unwrap()),
        ["ftps", bin] => ftp::run_tls(Path::new(bin), ""),
        ["ftps", bin, only] => ftp::run_tls(Path::new(bin), only),
        ["tftp", bin] => tftp::run(Path::new(bin)),
        ["metrics", bin] => ftp::metrics(Path::new(bin), ""),
        ["metrics", bin, only] => ftp::metrics(Path::new(bin), only),
        _ => {
            eprintln!(
                "usage: rftpd-bench ftp|ftps RFTPD [FIGURE] | rftpd-bench idle RFTPD N | rftpd-bench tftp RTFTPD"
            );
            std::process::exit(2);
        }
    }
}
