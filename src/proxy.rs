//! The PROXY protocol (haproxy's doc/proxy-protocol.txt), versions 1 and 2,
//! read from a connection that a trusted balancer (`proxy_protocol_from`)
//! opened: the header comes first, before anything is sent, and names the
//! real client. Read byte-exact (nothing of the client's own data is
//! consumed), within [`HEADER_TIME`], never guessed: a connection from a
//! trusted address without a valid header is closed.

use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long a balancer may take to send the header.
pub(crate) const HEADER_TIME: Duration = Duration::from_secs(3);

/// The v2 signature.
const V2_SIG: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";
/// A v1 line is at most 107 bytes with its CRLF.
const V1_MAX: usize = 107;
/// Addresses and TLVs of a v2 header: more than rftpd will read.
const V2_MAX_LEN: usize = 1024;

/// What the header said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// A proxied connection: the client's address and the one it connected to.
    Proxied { client: SocketAddr, server: SocketAddr },
    /// v2 LOCAL (the balancer's own health check) or v1 UNKNOWN: no client.
    Local,
}

/// Why a header was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderError {
    Malformed(&'static str),
    Io(io::ErrorKind),
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderError::Malformed(why) => write!(f, "bad PROXY header: {why}"),
            HeaderError::Io(io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                write!(f, "no PROXY header within {}s", HEADER_TIME.as_secs())
            }
            HeaderError::Io(kind) => write!(f, "PROXY header not read: {kind}"),
        }
    }
}

/// Reads the header from `stream` (blocking, bounded by [`HEADER_TIME`]).
pub(crate) fn read_header(stream: &TcpStream) -> Result<Header, HeaderError> {
    let deadline = Instant::now() + HEADER_TIME;
    let mut r = Deadline { stream, deadline };
    let mut first = [0u8; 12];
    r.fill(&mut first[..5])?;
    if &first[..5] == b"PROXY" {
        let mut line = first[..5].to_vec();
        loop {
            if line.len() >= V1_MAX {
                return Err(HeaderError::Malformed("v1 line too long"));
            }
            let mut b = [0u8; 1];
            r.fill(&mut b)?;
            line.push(b[0]);
            if line.ends_with(b"\r\n") {
                return parse_v1(&line);
            }
        }
    }
    r.fill(&mut first[5..])?;
    if first != V2_SIG {
        return Err(HeaderError::Malformed("no PROXY signature"));
    }
    let mut head = [0u8; 4];
    r.fill(&mut head)?;
    let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
    if len > V2_MAX_LEN {
        return Err(HeaderError::Malformed("v2 header too long"));
    }
    let mut rest = vec![0u8; len];
    r.fill(&mut rest)?;
    parse_v2(head[0], head[1], &rest)
}

/// A reader that gives up at a deadline.
struct Deadline<'a> {
    stream: &'a TcpStream,
    deadline: Instant,
}

impl Deadline<'_> {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), HeaderError> {
        let mut n = 0;
        while n < buf.len() {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(HeaderError::Io(io::ErrorKind::TimedOut));
            }
            self.stream.set_read_timeout(Some(left)).map_err(|e| HeaderError::Io(e.kind()))?;
            match (&mut &*self.stream).read(&mut buf[n..]) {
                Ok(0) => return Err(HeaderError::Io(io::ErrorKind::UnexpectedEof)),
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(HeaderError::Io(e.kind())),
            }
        }
        Ok(())
    }
}

/// `PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n` or `PROXY UNKNOWN …\r\n`.
pub fn parse_v1(line: &[u8]) -> Result<Header, HeaderError> {
    let bad = HeaderError::Malformed;
    let text = std::str::from_utf8(line).map_err(|_| bad("v1 not ASCII"))?;
    let text = text.strip_suffix("\r\n").ok_or(bad("v1 without CRLF"))?;
    let words: Vec<&str> = text.split(' ').collect();
    match words[..] {
        ["PROXY", "UNKNOWN", ..] => Ok(Header::Local),
        ["PROXY", family @ ("TCP4" | "TCP6"), src, dst, sport, dport] => {
            let v4 = family == "TCP4";
            let ip = |s: &str| -> Result<IpAddr, HeaderError> {
                let ip: IpAddr = s.parse().map_err(|_| bad("v1 address"))?;
                if ip.is_ipv4() == v4 { Ok(ip) } else { Err(bad("v1 address of the wrong family")) }
            };
            let port = |s: &str| -> Result<u16, HeaderError> {
                if s.is_empty()
                    || s.len() > 5
                    || !s.bytes().all(|b| b.is_ascii_digit())
                    || (s.len() > 1 && s.starts_with('0'))
                {
                    return Err(bad("v1 port"));
                }
                s.parse().map_err(|_| bad("v1 port"))
            };
            Ok(Header::Proxied {
                client: SocketAddr::new(ip(src)?, port(sport)?),
                server: SocketAddr::new(ip(dst)?, port(dport)?),
            })
        }
        _ => Err(bad("v1 line")),
    }
}

/// The part of a v2 header after its signature: version/command, family,
/// and `rest` (addresses, then TLVs, which are skipped).
pub fn parse_v2(ver_cmd: u8, family: u8, rest: &[u8]) -> Result<Header, HeaderError> {
    let bad = HeaderError::Malformed;
    if ver_cmd >> 4 != 2 {
        return Err(bad("v2 version"));
    }
    match ver_cmd & 0x0f {
        0 => return Ok(Header::Local),
        1 => {}
        _ => return Err(bad("v2 command")),
    }
    let (client, server) = match family {
        // TCP over IPv4: 4 + 4 + 2 + 2 bytes.
        0x11 => {
            let a = rest.get(..12).ok_or(bad("v2 IPv4 addresses truncated"))?;
            let ip = |o: usize| IpAddr::V4(Ipv4Addr::new(a[o], a[o + 1], a[o + 2], a[o + 3]));
            let port = |o: usize| u16::from_be_bytes([a[o], a[o + 1]]);
            (SocketAddr::new(ip(0), port(8)), SocketAddr::new(ip(4), port(10)))
        }
        // TCP over IPv6: 16 + 16 + 2 + 2 bytes.
        0x21 => {
            let a = rest.get(..36).ok_or(bad("v2 IPv6 addresses truncated"))?;
            let ip = |o: usize| {
                let mut b = [0u8; 16];
                b.copy_from_slice(&a[o..o + 16]);
                IpAddr::V6(Ipv6Addr::from(b))
            };
            let port = |o: usize| u16::from_be_bytes([a[o], a[o + 1]]);
            (SocketAddr::new(ip(0), port(32)), SocketAddr::new(ip(16), port(34)))
        }
        // UNSPEC: the balancer does not know; treat as its own connection.
        0x00 => return Ok(Header::Local),
        _ => return Err(bad("v2 family is not TCP over IPv4 or IPv6")),
    };
    Ok(Header::Proxied { client: canonical(client), server: canonical(server) })
}

fn canonical(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip().to_canonical(), a.port())
}

/// `proxy_protocol_from`: addresses and CIDR prefixes, IPv4 and IPv6.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks(Vec<(IpAddr, u8)>);

impl Networks {
    /// Parses `10.0.0.0/8, 192.0.2.7, ::1, fd00::/8`.
    pub fn parse(text: &str) -> Result<Networks, String> {
        let mut nets = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item, None),
            };
            let ip: IpAddr = addr.parse().map_err(|_| format!("'{item}' is not an address or CIDR prefix"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or(format!("'{item}': bad prefix length"))?,
            };
            nets.push((ip, bits));
        }
        Ok(Networks(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` lies in one of the networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|(net, bits)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
            _ => false,
        })
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let (whole, rest) = (usize::from(bits / 8), bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_lines() {
        let h = parse_v1(b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 21\r\n").unwrap();
        assert_eq!(
            h,
            Header::Proxied { client: "192.0.2.1:56324".parse().unwrap(), server: "198.51.100.2:21".parse().unwrap() }
        );
        assert!(matches!(parse_v1(b"PROXY TCP6 ::1 ::2 1 21\r\n"), Ok(Header::Proxied { .. })));
        assert_eq!(parse_v1(b"PROXY UNKNOWN\r\n"), Ok(Header::Local));
        for bad in [
            &b"PROXY TCP4 ::1 ::2 1 21\r\n"[..],
            b"PROXY TCP4 1.2.3.4 5.6.7.8 99999 21\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 01 21\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
            b"PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
            b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
        ] {
            assert!(parse_v1(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn v2_headers() {
        let mut a = vec![192, 0, 2, 1, 198, 51, 100, 2];
        a.extend_from_slice(&56324u16.to_be_bytes());
        a.extend_from_slice(&21u16.to_be_bytes());
        a.extend_from_slice(&[0x04, 0, 2, 0xab, 0xcd]); // a TLV, skipped
        let h = parse_v2(0x21, 0x11, &a).unwrap();
        assert_eq!(
            h,
            Header::Proxied { client: "192.0.2.1:56324".parse().unwrap(), server: "198.51.100.2:21".parse().unwrap() }
        );
        assert_eq!(parse_v2(0x20, 0x00, &[]), Ok(Header::Local));
        assert!(parse_v2(0x21, 0x11, &a[..5]).is_err());
        assert!(parse_v2(0x11, 0x11, &a).is_err());
        assert!(parse_v2(0x21, 0x12, &a).is_err(), "UDP is not served");
    }

    #[test]
    fn networks() {
        let n = Networks::parse("10.0.0.0/8, 192.0.2.7, fd00::/8").unwrap();
        assert!(n.contains("10.1.2.3".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(n.contains("192.0.2.7".parse().unwrap()));
        assert!(!n.contains("192.0.2.8".parse().unwrap()));
        assert!(n.contains("fd12::1".parse().unwrap()));
        assert!(!n.contains("fe80::1".parse().unwrap()));
        assert!(Networks::parse("10.0.0.0/33").is_err());
        assert!(Networks::parse("host.example").is_err());
        assert!(Networks::parse("").unwrap().is_empty());
    }
}
