//! Option negotiation: blksize (RFC 2348), timeout and tsize (RFC 2349),
//! windowsize (RFC 7440). Unknown or invalid options are ignored, never fatal
//! (RFC 2347 §5); values above the server's limits are lowered.

use super::packet::{ErrorCode, Request};
use std::time::Duration;

/// What the server grants at most, from the config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ceilings {
    pub(crate) max_blksize: u16,
    pub(crate) max_windowsize: u16,
    pub(crate) timeout: Duration,
    /// Largest timeout a client may ask for.
    pub(crate) max_timeout: Duration,
    /// Largest upload accepted (0 = no limit).
    pub(crate) max_upload: u64,
}

/// What a transfer runs with, and the options to confirm in an OACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Negotiated {
    pub(crate) blksize: usize,
    pub(crate) timeout: Duration,
    pub(crate) windowsize: u16,
    /// For WRQ: the size the client announced.
    pub(crate) tsize: Option<u64>,
    /// Options to echo in an OACK; empty means answer with DATA 1 / ACK 0 as in RFC 1350.
    pub(crate) accepted: Vec<(String, String)>,
}

pub(crate) const DEFAULT_BLKSIZE: usize = 512;

/// Negotiates a request's options. `file_size` is the size of the file a RRQ
/// reads. An announced WRQ size above `max_upload` is refused (ERROR 3).
pub(crate) fn negotiate(
    req: &Request,
    file_size: Option<u64>,
    limits: &Ceilings,
) -> Result<Negotiated, (ErrorCode, String)> {
    let mut n = Negotiated {
        blksize: DEFAULT_BLKSIZE,
        timeout: limits.timeout,
        windowsize: 1,
        tsize: None,
        accepted: Vec::new(),
    };
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in &req.options {
        if seen.contains(&name.as_str()) {
            continue;
        }
        seen.push(name);
        let num = value.parse::<u64>().ok();
        let confirmed = match (name.as_str(), num) {
            ("blksize", Some(v @ 8..=65464)) => {
                let b = v.min(u64::from(limits.max_blksize));
                n.blksize = b as usize;
                Some(b.to_string())
            }
            // Above max_timeout the option is left out of the OACK (RFC 2349:
            // the server answers with the value asked for or not at all).
            ("timeout", Some(v @ 1..=255)) if v <= limits.max_timeout.as_secs() => {
                n.timeout = Duration::from_secs(v);
                Some(v.to_string())
            }
            ("windowsize", Some(v @ 1..=65535)) => {
                let w = v.min(u64::from(limits.max_windowsize));
                n.windowsize = w as u16;
                Some(w.to_string())
            }
            ("tsize", Some(v)) if req.write => {
                if limits.max_upload > 0 && v > limits.max_upload {
                    return Err((ErrorCode::DiskFull, format!("file too large (limit {} bytes)", limits.max_upload)));
                }
                n.tsize = Some(v);
                Some(v.to_string())
            }
            ("tsize", Some(0)) => file_size.map(|s| s.to_string()),
            _ => None,
        };
        if let Some(v) = confirmed {
            if let Some(i) = crate::metrics::TFTP_OPTIONS.iter().position(|o| o == name) {
                crate::metrics::TFTP.options[i].inc();
            }
            n.accepted.push((name.clone(), v));
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tftp::packet::Mode;

    fn req(write: bool, opts: &[(&str, &str)]) -> Request {
        Request {
            write,
            filename: "f".into(),
            mode: Mode::Octet,
            options: opts.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    const LIMITS: Ceilings = Ceilings {
        max_blksize: 65464,
        max_windowsize: 64,
        timeout: Duration::from_secs(1),
        max_timeout: Duration::from_secs(10),
        max_upload: 1000,
    };

    #[test]
    fn rfc2348_blksize_range_and_cap() {
        let n = negotiate(&req(false, &[("blksize", "1428")]), Some(10), &LIMITS).unwrap();
        assert_eq!((n.blksize, n.accepted.len()), (1428, 1));
        let small = Ceilings { max_blksize: 1024, ..LIMITS };
        assert_eq!(
            negotiate(&req(false, &[("blksize", "65464")]), None, &small).unwrap().accepted,
            vec![("blksize".into(), "1024".into())]
        );
        // Out of range or garbage: ignored, never fatal.
        for bad in ["7", "65465", "x", ""] {
            let n = negotiate(&req(false, &[("blksize", bad)]), None, &LIMITS).unwrap();
            assert_eq!((n.blksize, n.accepted.len()), (512, 0), "{bad}");
        }
    }

    #[test]
    fn a_timeout_above_max_timeout_is_not_acknowledged() {
        let n = negotiate(&req(false, &[("timeout", "255")]), Some(1), &LIMITS).unwrap();
        assert_eq!((n.timeout, n.accepted.len()), (Duration::from_secs(1), 0));
        let n = negotiate(&req(false, &[("timeout", "10")]), Some(1), &LIMITS).unwrap();
        assert_eq!(n.timeout, Duration::from_secs(10));
    }

    #[test]
    fn rfc2349_tsize_and_timeout() {
        let n = negotiate(&req(false, &[("tsize", "0"), ("timeout", "3")]), Some(12345), &LIMITS).unwrap();
        assert_eq!(n.accepted, vec![("tsize".into(), "12345".into()), ("timeout".into(), "3".into())]);
        assert_eq!(n.timeout, Duration::from_secs(3));
        assert!(negotiate(&req(false, &[("timeout", "0")]), None, &LIMITS).unwrap().accepted.is_empty());
        assert_eq!(negotiate(&req(true, &[("tsize", "999")]), None, &LIMITS).unwrap().tsize, Some(999));
        assert_eq!(negotiate(&req(true, &[("tsize", "1001")]), None, &LIMITS).unwrap_err().0, ErrorCode::DiskFull);
    }

    #[test]
    fn rfc7440_windowsize_capped_and_unknown_ignored() {
        let n =
            negotiate(&req(false, &[("windowsize", "100"), ("multicast", "1"), ("windowsize", "2")]), None, &LIMITS)
                .unwrap();
        assert_eq!(n.windowsize, 64);
        assert_eq!(n.accepted, vec![("windowsize".into(), "64".into())]);
    }
}
