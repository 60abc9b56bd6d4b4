//! TFTP packets (RFC 1350 §5, OACK from RFC 2347) as values: parse bytes,
//! build bytes. Pure: no sockets, so it is unit-tested and fuzzed alone.

pub(crate) const RRQ: u16 = 1;
pub(crate) const WRQ: u16 = 2;
pub(crate) const DATA: u16 = 3;
pub(crate) const ACK: u16 = 4;
pub(crate) const ERROR: u16 = 5;
pub(crate) const OACK: u16 = 6;

/// RFC 1350 error codes (8 from RFC 2347). All are named, as the RFC
/// does; rtftpd has no use for 7 and 8 (they are what clients send).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
#[allow(dead_code)]
pub(crate) enum ErrorCode {
    NotDefined = 0,
    FileNotFound = 1,
    AccessViolation = 2,
    DiskFull = 3,
    IllegalOperation = 4,
    UnknownTid = 5,
    FileExists = 6,
    NoSuchUser = 7,
    OptionRefused = 8,
}

impl ErrorCode {
    /// The RFC's own text for the code: what a client is told when the
    /// cause is a local error (the OS's words go to the log only).
    pub(crate) fn text(self) -> &'static str {
        match self {
            ErrorCode::NotDefined => "Not defined",
            ErrorCode::FileNotFound => "File not found",
            ErrorCode::AccessViolation => "Access violation",
            ErrorCode::DiskFull => "Disk full or allocation exceeded",
            ErrorCode::IllegalOperation => "Illegal TFTP operation",
            ErrorCode::UnknownTid => "Unknown transfer ID",
            ErrorCode::FileExists => "File already exists",
            ErrorCode::NoSuchUser => "No such user",
            ErrorCode::OptionRefused => "Option negotiation refused",
        }
    }
}

/// True for an ERROR packet. rtftpd never answers one (an answer to an
/// ERROR lets two servers bounce packets forever: CVE-2024-2169).
pub(crate) fn is_error(buf: &[u8]) -> bool {
    buf.len() >= 2 && u16::from_be_bytes([buf[0], buf[1]]) == ERROR
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Octet,
    Netascii,
}

/// A read or write request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) write: bool,
    pub(crate) filename: String,
    pub(crate) mode: Mode,
    /// Options in the order sent, names lower-cased (RFC 2347: case-insensitive).
    pub(crate) options: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Packet<'a> {
    Request(Request),
    Data { block: u16, data: &'a [u8] },
    Ack { block: u16 },
    Error { code: u16, message: String },
    Oack(Vec<(String, String)>),
}

/// Why a packet was rejected; each becomes an ERROR 4 (or 0) reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PacketError {
    TooShort,
    BadOpcode(u16),
    /// A string field without its NUL terminator.
    Unterminated,
    EmptyFilename,
    /// `mail` or an unknown mode.
    BadMode(String),
    NotUtf8,
}

impl PacketError {
    pub(crate) fn message(&self) -> String {
        match self {
            PacketError::TooShort => "packet too short".into(),
            PacketError::BadOpcode(op) => format!("unknown opcode {op}"),
            PacketError::Unterminated => "string field without NUL terminator".into(),
            PacketError::EmptyFilename => "empty file name".into(),
            PacketError::BadMode(m) => format!("unsupported transfer mode '{m}'"),
            PacketError::NotUtf8 => "file name is not UTF-8".into(),
        }
    }
}

/// Splits NUL-terminated strings; every one must be terminated.
fn strings(mut rest: &[u8]) -> Result<Vec<&[u8]>, PacketError> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == 0).ok_or(PacketError::Unterminated)?;
        out.push(&rest[..end]);
        rest = &rest[end + 1..];
    }
    Ok(out)
}

fn text(b: &[u8]) -> Result<String, PacketError> {
    String::from_utf8(b.to_vec()).map_err(|_| PacketError::NotUtf8)
}

fn options(fields: &[&[u8]]) -> Result<Vec<(String, String)>, PacketError> {
    // An odd trailing name without a value is ignored, as an unknown option would be.
    fields.chunks_exact(2).map(|kv| Ok((text(kv[0])?.to_ascii_lowercase(), text(kv[1])?))).collect()
}

pub(crate) fn parse(buf: &[u8]) -> Result<Packet<'_>, PacketError> {
    if buf.len() < 4 {
        return Err(PacketError::TooShort);
    }
    let op = u16::from_be_bytes([buf[0], buf[1]]);
    let block = u16::from_be_bytes([buf[2], buf[3]]);
    match op {
        RRQ | WRQ => {
            let fields = strings(&buf[2..])?;
            if fields.len() < 2 {
                return Err(PacketError::Unterminated);
            }
            if fields[0].is_empty() {
                return Err(PacketError::EmptyFilename);
            }
            let mode = match text(fields[1])?.to_ascii_lowercase().as_str() {
                "octet" => Mode::Octet,
                "netascii" => Mode::Netascii,
                other => return Err(PacketError::BadMode(other.to_owned())),
            };
            Ok(Packet::Request(Request {
                write: op == WRQ,
                filename: text(fields[0])?,
                mode,
                options: options(&fields[2..])?,
            }))
        }
        DATA => Ok(Packet::Data { block, data: &buf[4..] }),
        ACK => Ok(Packet::Ack { block }),
        ERROR => {
            let message =
                buf[4..].split(|&b| b == 0).next().map(|m| String::from_utf8_lossy(m).into_owned()).unwrap_or_default();
            Ok(Packet::Error { code: block, message })
        }
        OACK => Ok(Packet::Oack(options(&strings(&buf[2..])?)?)),
        other => Err(PacketError::BadOpcode(other)),
    }
}

/// Makes `out` the DATA packet of `block` with a payload of up to `blksize`
/// bytes written by `fill` (which returns how many it wrote), reusing
/// `out`'s allocation. Returns the payload length.
pub(crate) fn fill_data(
    block: u16,
    blksize: usize,
    out: &mut Vec<u8>,
    fill: impl FnOnce(&mut [u8]) -> std::io::Result<usize>,
) -> std::io::Result<usize> {
    out.resize(4 + blksize, 0);
    out[..2].copy_from_slice(&DATA.to_be_bytes());
    out[2..4].copy_from_slice(&block.to_be_bytes());
    let n = fill(&mut out[4..])?;
    out.truncate(4 + n);
    Ok(n)
}

/// The payload length of a DATA packet made by [`fill_data`].
pub(crate) fn payload_len(packet: &[u8]) -> usize {
    packet.len().saturating_sub(4)
}

pub(crate) fn ack(block: u16) -> [u8; 4] {
    let [a, b] = ACK.to_be_bytes();
    let [c, d] = block.to_be_bytes();
    [a, b, c, d]
}

pub(crate) fn error(code: ErrorCode, message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + message.len());
    out.extend_from_slice(&ERROR.to_be_bytes());
    out.extend_from_slice(&(code as u16).to_be_bytes());
    out.extend_from_slice(message.as_bytes());
    out.push(0);
    out
}

pub(crate) fn oack(options: &[(String, String)]) -> Vec<u8> {
    let mut out = OACK.to_be_bytes().to_vec();
    for (k, v) in options {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1350_rrq_with_rfc2347_options() {
        let p = parse(b"\x00\x01boot/pxelinux.0\x00OCTET\x00BLKSIZE\x001428\x00tsize\x000\x00").unwrap();
        let Packet::Request(r) = p else { panic!() };
        assert!(!r.write);
        assert_eq!(r.filename, "boot/pxelinux.0");
        assert_eq!(r.mode, Mode::Octet);
        assert_eq!(r.options, vec![("blksize".into(), "1428".into()), ("tsize".into(), "0".into())]);
    }

    #[test]
    fn rfc1350_malformed_requests() {
        assert_eq!(parse(b"\x00\x01file"), Err(PacketError::Unterminated));
        assert_eq!(parse(b"\x00\x02\x00octet\x00"), Err(PacketError::EmptyFilename));
        assert_eq!(parse(b"\x00\x01f\x00mail\x00"), Err(PacketError::BadMode("mail".into())));
        assert_eq!(parse(b"\x00\x09abcd"), Err(PacketError::BadOpcode(9)));
        assert_eq!(parse(b"\x00"), Err(PacketError::TooShort));
        assert_eq!(
            parse(b"\x00\x01f\x00netascii\x00"),
            Ok(Packet::Request(Request { write: false, filename: "f".into(), mode: Mode::Netascii, options: vec![] }))
        );
    }

    #[test]
    fn data_ack_error_oack_round_trip() {
        // A reused buffer, longer than the packet: nothing of it is left over.
        let mut buf = vec![9u8; 600];
        let n = fill_data(65535, 512, &mut buf, |p| {
            p[..3].copy_from_slice(b"xyz");
            Ok(3)
        });
        assert_eq!(n.unwrap(), 3);
        assert_eq!(payload_len(&buf), 3);
        assert_eq!(parse(&buf), Ok(Packet::Data { block: 65535, data: b"xyz" }));
        assert_eq!(parse(&ack(7)), Ok(Packet::Ack { block: 7 }));
        assert_eq!(parse(&error(ErrorCode::UnknownTid, "who?")), Ok(Packet::Error { code: 5, message: "who?".into() }));
        let o = vec![("blksize".to_string(), "512".to_string())];
        assert_eq!(parse(&oack(&o)), Ok(Packet::Oack(o)));
    }
}
