//! Where listening sockets come from: bound from `listen_address` and
//! `listen_port` (one dual-stack `[::]` socket when no address is given).

use crate::config::Config;
use crate::sys::net;
use log::warn;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};

const BACKLOG: i32 = 512;

/// Binds every configured address; the error names the address.
pub fn bind_all(config: &Config) -> io::Result<Vec<TcpListener>> {
    let port = config.listen_port;
    if config.listen_address.is_empty() {
        return match net::listen(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port), BACKLOG) {
            Ok(l) => Ok(vec![l]),
            Err(e) if e.raw_os_error() == Some(libc::EAFNOSUPPORT) => {
                warn!("IPv6 is not available ({e}); listening on IPv4 only");
                Ok(vec![bind_one(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port))?])
            }
            Err(e) => Err(named(e, &SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port))),
        };
    }
    config.listen_address.iter().map(|ip| bind_one(SocketAddr::new(*ip, port))).collect()
}

fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
    net::listen(addr, BACKLOG).map_err(|e| named(e, &addr))
}

fn named(e: io::Error, addr: &SocketAddr) -> io::Error {
    io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"))
}
