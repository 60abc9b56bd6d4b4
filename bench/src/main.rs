//! `make bench`: side-by-side benchmarks on loopback, never part of `make test`.
//!
//! - `rftpd-bench ftp PATH-TO-rftpd [FIGURE]`: rftpd against vsftpd (only
//!   the figures whose label starts with FIGURE, if given);
//! - `rftpd-bench idle PATH-TO-rftpd N`: N logged-in idle rftpd sessions;
//! - `rftpd-bench tftp PATH-TO-rtftpd`: rtftpd against tftpd-hpa;
//! - `rftpd-bench metrics PATH-TO-rftpd [FIGURE]`: rftpd with the metrics
//!   endpoint on (and scraped) against rftpd without.

mod client;
mod common;
mod ftp;
mod peers;
mod tftp;

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["ftp", bin] => ftp::run(Path::new(bin), ""),
        ["ftp", bin, only] => ftp::run(Path::new(bin), only),
        ["idle", bin, n] if n.parse::<usize>().is_ok() => ftp::idle(Path::new(bin), n.parse().unwrap()),
        ["tftp", bin] => tftp::run(Path::new(bin)),
        ["metrics", bin] => ftp::metrics(Path::new(bin), ""),
        ["metrics", bin, only] => ftp::metrics(Path::new(bin), only),
        _ => {
            eprintln!("usage: rftpd-bench ftp RFTPD [FIGURE] | rftpd-bench idle RFTPD N | rftpd-bench tftp RTFTPD");
            std::process::exit(2);
        }
    }
}
