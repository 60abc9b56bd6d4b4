//! Command lines → [`Command`] values. Pure: imports nothing from `std::net`
//! or `std::fs`, so it is unit-tested and fuzzed on its own.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// TYPE (RFC 959 §3.1.1): `A` (optionally `A N`), `I`, `L 8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferType {
    Ascii,
    Image,
}

/// EPSV's argument (RFC 2428 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpsvArg {
    Any,
    /// Network protocol 1 (IPv4) or 2 (IPv6).
    Protocol(u8),
    All,
}

/// EPRT's argument: a recognised address, or a protocol number we do not speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EprtArg {
    Addr(SocketAddr),
    UnsupportedProtocol,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    User(String),
    Pass(String),
    Acct,
    Quit,
    Rein,
    Noop,
    Syst,
    Help(Option<String>),
    Stat(Option<String>),
    Feat,
    Opts(String),
    Pwd,
    Cwd(String),
    Cdup,
    Mkd(String),
    Rmd(String),
    Dele(String),
    Rnfr(String),
    Rnto(String),
    Size(String),
    Mdtm(String),
    /// MFMT (draft-somers-ftp-mfxx): seconds since the epoch, path.
    Mfmt(i64, String),
    Type(TransferType),
    Stru,
    Mode,
    Port(SocketAddr),
    Pasv,
    Eprt(EprtArg),
    Epsv(EpsvArg),
    Retr(String),
    Stor(String),
    Stou(Option<String>),
    Appe(String),
    Rest(u64),
    Allo,
    Abor,
    List(Option<String>),
    Nlst(Option<String>),
    Mlsd(Option<String>),
    Mlst(Option<String>),
    Site(String),
    /// AUTH (RFC 2228/4217): the mechanism, upper-cased.
    Auth(String),
    /// PBSZ (RFC 4217 §8): the buffer size the client proposes.
    Pbsz(u64),
    Prot(ProtLevel),
    Ccc,
    /// Known to RFCs but not implemented here (→ 502).
    NotImplemented(String),
}

/// Data channel protection levels (RFC 2228 §3; TLS offers C and P).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtLevel {
    Clear,
    Safe,
    Confidential,
    Private,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// An empty line (→ 500).
    Empty,
    /// A verb we do not know (→ 500).
    Unknown(String),
    /// A known verb with a bad or missing argument (→ 501), with the reason.
    BadArgument(&'static str),
    /// A parameter value we recognise but do not support (→ 504), e.g. `TYPE E`.
    Unsupported(&'static str),
    /// Not UTF-8 (→ 501).
    NotUtf8,
}

impl Command {
    /// The verb, for logs.
    pub(crate) fn verb(&self) -> &'static str {
        use Command::*;
        match self {
            User(_) => "USER",
            Pass(_) => "PASS",
            Acct => "ACCT",
            Quit => "QUIT",
            Rein => "REIN",
            Noop => "NOOP",
            Syst => "SYST",
            Help(_) => "HELP",
            Stat(_) => "STAT",
            Feat => "FEAT",
            Opts(_) => "OPTS",
            Pwd => "PWD",
            Cwd(_) => "CWD",
            Cdup => "CDUP",
            Mkd(_) => "MKD",
            Rmd(_) => "RMD",
            Dele(_) => "DELE",
            Rnfr(_) => "RNFR",
            Rnto(_) => "RNTO",
            Size(_) => "SIZE",
            Mdtm(_) => "MDTM",
            Mfmt(..) => "MFMT",
            Type(_) => "TYPE",
            Stru => "STRU",
            Mode => "MODE",
            Port(_) => "PORT",
            Pasv => "PASV",
            Eprt(_) => "EPRT",
            Epsv(_) => "EPSV",
            Retr(_) => "RETR",
            Stor(_) => "STOR",
            Stou(_) => "STOU",
            Appe(_) => "APPE",
            Rest(_) => "REST",
            Allo => "ALLO",
            Abor => "ABOR",
            List(_) => "LIST",
            Nlst(_) => "NLST",
            Mlsd(_) => "MLSD",
            Mlst(_) => "MLST",
            Site(_) => "SITE",
            Auth(_) => "AUTH",
            Pbsz(_) => "PBSZ",
            Prot(_) => "PROT",
            Ccc => "CCC",
            NotImplemented(_) => "(not implemented)",
        }
    }
}

/// Verbs named by RFCs 959/1639/2228/4217/2389 that rftpd answers with 502.
const NOT_IMPLEMENTED: &[&str] = &[
    "SMNT", "LPRT", "LPSV", "ADAT", "MIC", "CONF", "ENC", "LANG", "SPSV", "XRCP", "XRSQ", "XSEM", "XSEN", "MLFL",
    "MAIL", "MSND", "MSOM", "MSAM", "MRSQ", "MRCP",
];

/// Parses one command line (without its CRLF; Telnet sequences already removed).
pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
    let line = std::str::from_utf8(line).map_err(|_| ParseError::NotUtf8)?;
    let line = line.trim_start_matches(' ').trim_end_matches(['\r', '\n']);
    if line.is_empty() {
        return Err(ParseError::Empty);
    }
    let (verb, arg) = match line.split_once(' ') {
        Some((v, a)) => (v, a),
        None => (line, ""),
    };
    if verb.len() > 8 {
        return Err(ParseError::Unknown(verb.chars().take(16).collect()));
    }
    let verb = verb.to_ascii_uppercase();
    let opt = || (!arg.is_empty()).then(|| arg.to_owned());
    let need = || {
        if arg.is_empty() { Err(ParseError::BadArgument("an argument is required")) } else { Ok(arg.to_owned()) }
    };
    let none = |c: Command| {
        if arg.trim().is_empty() { Ok(c) } else { Err(ParseError::BadArgument("no argument allowed")) }
    };
    use Command::*;
    Ok(match verb.as_str() {
        "USER" => User(need()?),
        // An empty password is legal (RFC 959 allows any string, even none).
        "PASS" => Pass(arg.to_owned()),
        "ACCT" => Acct,
        "QUIT" => none(Quit)?,
        "REIN" => none(Rein)?,
        "NOOP" => none(Noop)?,
        "SYST" => none(Syst)?,
        "HELP" => Help(opt()),
        "STAT" => Stat(opt()),
        "FEAT" => none(Feat)?,
        "OPTS" => Opts(need()?),
        "PWD" | "XPWD" => none(Pwd)?,
        "CWD" | "XCWD" => Cwd(need()?),
        "CDUP" | "XCUP" => none(Cdup)?,
        "MKD" | "XMKD" => Mkd(need()?),
        "RMD" | "XRMD" => Rmd(need()?),
        "DELE" => Dele(need()?),
        "RNFR" => Rnfr(need()?),
        "RNTO" => Rnto(need()?),
        "SIZE" => Size(need()?),
        "MDTM" => Mdtm(need()?),
        "MFMT" => parse_mfmt(arg)?,
        "TYPE" => Type(parse_type(arg)?),
        "STRU" => match arg.to_ascii_uppercase().as_str() {
            "F" => Stru,
            "R" | "P" => return Err(ParseError::Unsupported("only STRU F is supported")),
            _ => return Err(ParseError::BadArgument("STRU takes F, R or P")),
        },
        "MODE" => match arg.to_ascii_uppercase().as_str() {
            "S" => Mode,
            "B" | "C" => return Err(ParseError::Unsupported("only MODE S is supported")),
            _ => return Err(ParseError::BadArgument("MODE takes S, B or C")),
        },
        "PORT" => Port(parse_port(arg)?),
        "PASV" => none(Pasv)?,
        "EPRT" => Eprt(parse_eprt(arg)?),
        "EPSV" => Epsv(parse_epsv(arg)?),
        "RETR" => Retr(need()?),
        "STOR" => Stor(need()?),
        "STOU" => Stou(opt()),
        "APPE" => Appe(need()?),
        "REST" => Rest(arg.trim().parse().map_err(|_| ParseError::BadArgument("REST takes a byte offset"))?),
        "ALLO" => Allo,
        "ABOR" => none(Abor)?,
        "LIST" => List(opt()),
        "NLST" => Nlst(opt()),
        "MLSD" => Mlsd(opt()),
        "MLST" => Mlst(opt()),
        "SITE" => Site(need()?),
        "AUTH" => Auth(need()?.trim().to_ascii_uppercase()),
        "PBSZ" => Pbsz(arg.trim().parse().map_err(|_| ParseError::BadArgument("PBSZ takes a decimal number"))?),
        "PROT" => Prot(match arg.trim().to_ascii_uppercase().as_str() {
            "C" => ProtLevel::Clear,
            "P" => ProtLevel::Private,
            "S" => ProtLevel::Safe,
            "E" => ProtLevel::Confidential,
            _ => return Err(ParseError::BadArgument("PROT takes C, S, E or P")),
        }),
        "CCC" => none(Ccc)?,
        v if NOT_IMPLEMENTED.contains(&v) => NotImplemented(verb),
        _ => return Err(ParseError::Unknown(verb)),
    })
}

fn parse_type(arg: &str) -> Result<TransferType, ParseError> {
    let words: Vec<String> = arg.split_whitespace().map(str::to_ascii_uppercase).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words[..] {
        ["A"] | ["A", "N"] => Ok(TransferType::Ascii),
        ["I"] | ["L", "8"] => Ok(TransferType::Image),
        ["A", "T" | "C"] | ["E", ..] | ["L", _] => Err(ParseError::Unsupported("only TYPE A, I and L 8 are supported")),
        _ => Err(ParseError::BadArgument("TYPE takes A, I or L 8")),
    }
}

/// `h1,h2,h3,h4,p1,p2` (RFC 959 §4.1.2).
pub fn parse_port(arg: &str) -> Result<SocketAddr, ParseError> {
    const BAD: ParseError = ParseError::BadArgument("PORT takes h1,h2,h3,h4,p1,p2");
    let nums: Vec<u8> =
        arg.trim().split(',').map(|s| s.trim().parse::<u8>()).collect::<Result<_, _>>().map_err(|_| BAD)?;
    let [a, b, c, d, p1, p2] = nums[..] else {
        return Err(BAD);
    };
    Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), u16::from(p1) << 8 | u16::from(p2)))
}

/// `<d><proto><d><addr><d><port><d>` (RFC 2428 §2).
pub fn parse_eprt(arg: &str) -> Result<EprtArg, ParseError> {
    const BAD: ParseError = ParseError::BadArgument("EPRT takes |proto|address|port|");
    let mut chars = arg.chars();
    let delim = chars.next().ok_or(BAD)?;
    if !(33..=126).contains(&(delim as u32)) {
        return Err(BAD);
    }
    let fields: Vec<&str> = arg[delim.len_utf8()..].split(delim).collect();
    let [proto, addr, port, ""] = fields[..] else {
        return Err(BAD);
    };
    let port: u16 = port.parse().map_err(|_| BAD)?;
    let ip: IpAddr = match proto {
        "1" => IpAddr::V4(addr.parse().map_err(|_| BAD)?),
        "2" => IpAddr::V6(addr.parse().map_err(|_| BAD)?),
        p if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            return Ok(EprtArg::UnsupportedProtocol);
        }
        _ => return Err(BAD),
    };
    if port == 0 {
        return Err(BAD);
    }
    Ok(EprtArg::Addr(SocketAddr::new(ip, port)))
}

fn parse_epsv(arg: &str) -> Result<EpsvArg, ParseError> {
    match arg.trim() {
        "" => Ok(EpsvArg::Any),
        a if a.eq_ignore_ascii_case("ALL") => Ok(EpsvArg::All),
        a => a.parse::<u8>().map(EpsvArg::Protocol).map_err(|_| ParseError::BadArgument("EPSV takes 1, 2 or ALL")),
    }
}

/// `MFMT YYYYMMDDHHMMSS path`.
fn parse_mfmt(arg: &str) -> Result<Command, ParseError> {
    const BAD: ParseError = ParseError::BadArgument("MFMT takes YYYYMMDDHHMMSS and a path");
    let (time, path) = arg.split_once(' ').ok_or(BAD)?;
    let secs = parse_timeval(time).ok_or(BAD)?;
    if path.is_empty() {
        return Err(BAD);
    }
    Ok(Command::Mfmt(secs, path.to_owned()))
}

/// An RFC 3659 time-val `YYYYMMDDHHMMSS[.sss]` (UTC) → seconds since the epoch.
pub(crate) fn parse_timeval(s: &str) -> Option<i64> {
    let s = s.split('.').next()?;
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    crate::sys::time::unix_from_utc(i64::from(n(0..4)?), n(4..6)?, n(6..8)?, n(8..10)?, n(10..12)?, n(12..14)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Command, ParseError> {
        parse(s.as_bytes())
    }

    #[test]
    fn rfc959_verbs_are_case_insensitive() {
        assert_eq!(p("user alice"), Ok(Command::User("alice".into())));
        assert_eq!(p("NoOp"), Ok(Command::Noop));
        assert_eq!(p("XPWD"), Ok(Command::Pwd));
        assert_eq!(p("xcup"), Ok(Command::Cdup));
    }

    #[test]
    fn rfc959_arguments_keep_spaces() {
        assert_eq!(p("RETR dir with space/a b.txt"), Ok(Command::Retr("dir with space/a b.txt".into())));
        assert_eq!(p("PASS"), Ok(Command::Pass(String::new())));
    }

    #[test]
    fn unknown_missing_and_bad_arguments() {
        assert_eq!(p("FOO bar"), Err(ParseError::Unknown("FOO".into())));
        assert_eq!(p(""), Err(ParseError::Empty));
        assert!(matches!(p("CWD"), Err(ParseError::BadArgument(_))));
        assert!(matches!(p("REST abc"), Err(ParseError::BadArgument(_))));
        assert!(matches!(p("NOOP extra"), Err(ParseError::BadArgument(_))));
        assert_eq!(parse(b"RETR \xff\xfe"), Err(ParseError::NotUtf8));
        assert_eq!(p("AUTH tls"), Ok(Command::Auth("TLS".into())));
        assert_eq!(p("PBSZ 0"), Ok(Command::Pbsz(0)));
        assert!(matches!(p("PBSZ x"), Err(ParseError::BadArgument(_))));
        assert_eq!(p("PROT p"), Ok(Command::Prot(ProtLevel::Private)));
        assert!(matches!(p("PROT X"), Err(ParseError::BadArgument(_))));
        assert_eq!(p("CCC"), Ok(Command::Ccc));
        assert_eq!(p("ADAT x"), Ok(Command::NotImplemented("ADAT".into())));
    }

    #[test]
    fn rfc959_type_stru_mode() {
        assert_eq!(p("TYPE A"), Ok(Command::Type(TransferType::Ascii)));
        assert_eq!(p("TYPE a n"), Ok(Command::Type(TransferType::Ascii)));
        assert_eq!(p("TYPE I"), Ok(Command::Type(TransferType::Image)));
        assert_eq!(p("TYPE L 8"), Ok(Command::Type(TransferType::Image)));
        assert!(matches!(p("TYPE E"), Err(ParseError::Unsupported(_))));
        assert!(matches!(p("TYPE X"), Err(ParseError::BadArgument(_))));
        assert_eq!(p("STRU F"), Ok(Command::Stru));
        assert!(matches!(p("STRU R"), Err(ParseError::Unsupported(_))));
        assert_eq!(p("MODE S"), Ok(Command::Mode));
        assert!(matches!(p("MODE B"), Err(ParseError::Unsupported(_))));
    }

    #[test]
    fn rfc959_port_argument() {
        assert_eq!(p("PORT 127,0,0,1,4,1"), Ok(Command::Port("127.0.0.1:1025".parse().unwrap())));
        assert!(matches!(p("PORT 127,0,0,1,4"), Err(ParseError::BadArgument(_))));
        assert!(matches!(p("PORT 256,0,0,1,4,1"), Err(ParseError::BadArgument(_))));
    }

    #[test]
    fn rfc2428_eprt_and_epsv() {
        assert_eq!(p("EPRT |1|127.0.0.1|6446|"), Ok(Command::Eprt(EprtArg::Addr("127.0.0.1:6446".parse().unwrap()))));
        assert_eq!(p("EPRT |2|::1|6446|"), Ok(Command::Eprt(EprtArg::Addr("[::1]:6446".parse().unwrap()))));
        assert_eq!(p("EPRT !2!::1!6446!"), Ok(Command::Eprt(EprtArg::Addr("[::1]:6446".parse().unwrap()))));
        assert_eq!(p("EPRT |3|x|1|"), Ok(Command::Eprt(EprtArg::UnsupportedProtocol)));
        assert!(matches!(p("EPRT |1|::1|6446|"), Err(ParseError::BadArgument(_))));
        assert!(matches!(p("EPRT |1|127.0.0.1|99999|"), Err(ParseError::BadArgument(_))));
        assert_eq!(p("EPSV"), Ok(Command::Epsv(EpsvArg::Any)));
        assert_eq!(p("EPSV all"), Ok(Command::Epsv(EpsvArg::All)));
        assert_eq!(p("EPSV 2"), Ok(Command::Epsv(EpsvArg::Protocol(2))));
    }

    #[test]
    fn rfc3659_rest_and_mfmt() {
        assert_eq!(p("REST 100"), Ok(Command::Rest(100)));
        assert_eq!(p("MFMT 20240601120000 a.txt"), Ok(Command::Mfmt(1_717_243_200, "a.txt".into())));
        assert!(matches!(p("MFMT 2024 a.txt"), Err(ParseError::BadArgument(_))));
        assert_eq!(parse_timeval("19700101000000"), Some(0));
    }
}
