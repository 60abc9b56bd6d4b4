//! Where listening sockets come from when the daemon binds its own: each
//! configured address at the port, or one dual-stack `[::]` socket when no
//! address is given. Shared by rftpd (TCP) and rtftpd (UDP).

use log::warn;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Binds `bind` on each address at `port`, or on one dual-stack `[::]`
/// (IPv4 `0.0.0.0` where IPv6 is missing) when none is given; errors name
/// the address, after `label` ("udp " for rtftpd).
pub(crate) fn bind_each<T>(
    addresses: &[IpAddr],
    port: u16,
    label: &str,
    bind: impl Fn(SocketAddr) -> io::Result<T>,
) -> io::Result<Vec<T>> {
    let named =
        |e: io::Error, addr: SocketAddr| io::Error::new(e.kind(), format!("cannot listen on {label}{addr}: {e}"));
    let bind_one = |addr: SocketAddr| bind(addr).map_err(|e| named(e, addr));
    if !addresses.is_empty() {
        return addresses.iter().map(|ip| bind_one(SocketAddr::new(*ip, port))).collect();
    }
    let any6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port);
    match bind(any6) {
        Ok(s) => Ok(vec![s]),
        Err(e) if e.raw_os_error() == Some(libc::EAFNOSUPPORT) => {
            warn!("IPv6 is not available ({e}); listening on IPv4 only");
            Ok(vec![bind_one(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port))?])
        }
        Err(e) => Err(named(e, any6)),
    }
}
