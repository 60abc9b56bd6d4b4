//! What a config key is (name, kind, default, one-line doc, effect) and
//! what is made from a table of them: the sample config file and the man
//! page's key list. The tables themselves are written once, with their
//! structs, by `config_table!`: rftpd's in [`super::ftp`], rtftpd's in
//! `tftp::config`. Names are vsftpd's wherever vsftpd has the setting.

/// What values a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// YES/NO (also TRUE/FALSE, 1/0, any case).
    Bool,
    /// A decimal number in `min..=max`.
    Number { min: u64, max: u64 },
    /// An octal permission mask up to 0777 (`022`, `0644`).
    Octal,
    /// Free text (may be empty).
    Text,
    /// An absolute path, or empty where the doc says empty is allowed.
    Path,
    /// A comma-separated list of IPv4/IPv6 addresses (may be empty).
    AddressList,
    /// One IP address, or empty.
    Address,
}

/// What setting a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// It sets the field of the same name.
    Used,
    /// Accepted for compatibility (a vsftpd key) and ignored, for this reason.
    Ignored(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    pub default: &'static str,
    pub doc: &'static str,
    pub effect: Effect,
}

impl Key {
    pub const fn new(name: &'static str, kind: Kind, default: &'static str, doc: &'static str) -> Key {
        Key { name, kind, default, doc, effect: Effect::Used }
    }

    /// A key accepted and ignored; `reason` says why it changes nothing.
    pub const fn accepted(name: &'static str, kind: Kind, default: &'static str, reason: &'static str) -> Key {
        Key { name, kind, default, doc: reason, effect: Effect::Ignored(reason) }
    }
}

pub const fn num(min: u64, max: u64) -> Kind {
    Kind::Number { min, max }
}

pub const PORT: Kind = num(0, 65535);
pub const SECONDS: Kind = num(0, 86_400);

#[cfg(test)]
pub(crate) const TFTP_SAMPLE_HEADER: &str = "\
# /etc/rftpd/rtftpd.conf: rtftpd (TFTP server) configuration.
#
# The same syntax as rftpd.conf: one key=value per line, '#' starts a
# comment, booleans are YES or NO. Every key is listed below with its
# built-in default, commented out.
#
# Check a file:   rtftpd -c /etc/rftpd/rtftpd.conf --check-config
# Override a key: rtftpd -o key=value (repeatable)
";

/// Looks a key up by name.
pub(crate) fn find(keys: &'static [Key], name: &str) -> Option<&'static Key> {
    keys.iter().find(|k| k.name == name)
}

#[cfg(test)]
/// The sample config file: a header, then every key with its doc and its
/// default, commented out; keys accepted for compatibility come last,
/// each with why it changes nothing. `etc/rftpd.conf` is exactly this (a
/// test checks).
pub(crate) fn sample(keys: &[Key], header: &str) -> String {
    let mut out = String::from(header);
    let mut ignored = keys.iter().filter(|k| k.effect != Effect::Used).peekable();
    for k in keys.iter().filter(|k| k.effect == Effect::Used) {
        out.push_str(&format!("\n# {}\n#{}={}\n", k.doc, k.name, k.default));
    }
    if ignored.peek().is_some() {
        out.push_str(COMPAT_HEADER);
    }
    for k in ignored {
        out.push_str(&format!("\n# No effect: {}\n#{}={}\n", k.doc, k.name, k.default));
    }
    out
}

#[cfg(test)]
const COMPAT_HEADER: &str = "
# ---------------------------------------------------------------------------
# vsftpd keys rftpd accepts so that a vsftpd.conf works unchanged, but that
# change nothing here; each says why. --check-config lists the ones set.
";

#[cfg(test)]
pub(crate) const FTP_SAMPLE_HEADER: &str = "\
# /etc/rftpd/rftpd.conf: rftpd configuration.
#
# Syntax as vsftpd.conf: one key=value per line, '#' starts a comment,
# booleans are YES or NO. Key names are vsftpd's wherever vsftpd has the
# setting. Every key is listed below with its built-in default, commented
# out: uncomment and change what you need. A key set twice is an error.
#
# Check a file:   rftpd -c /etc/rftpd/rftpd.conf --check-config
# Override a key: rftpd -o key=value (repeatable)
";

#[cfg(test)]
/// How a kind is described in the man page.
fn kind_text(kind: Kind) -> String {
    match kind {
        Kind::Bool => "YES or NO".into(),
        Kind::Number { min, max } => format!("number, {min} to {max}"),
        Kind::Octal => "octal mode, 000 to 0777".into(),
        Kind::Text => "text".into(),
        Kind::Path => "absolute path".into(),
        Kind::AddressList => "comma-separated IPv4/IPv6 addresses".into(),
        Kind::Address => "IP address".into(),
    }
}

#[cfg(test)]
/// Escapes text for roff: backslashes, and a leading dot or quote.
fn roff(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') { format!("\\&{t}") } else { t }
}

#[cfg(test)]
/// The KEYS section of a man page: every key with its type, default and
/// meaning; keys accepted for compatibility under their own heading.
pub(crate) fn man_keys(keys: &[Key]) -> String {
    let mut out = String::new();
    let entry = |k: &Key| {
        let default = if k.default.is_empty() { "empty".to_string() } else { format!("\\fB{}\\fR", roff(k.default)) };
        format!(".TP\n.B {}\n({}; default {})\n{}\n", k.name, kind_text(k.kind), default, roff(k.doc))
    };
    for k in keys.iter().filter(|k| k.effect == Effect::Used) {
        out.push_str(&entry(k));
    }
    let ignored: Vec<&Key> = keys.iter().filter(|k| k.effect != Effect::Used).collect();
    if !ignored.is_empty() {
        out.push_str(".SH KEYS ACCEPTED FOR COMPATIBILITY\nThese vsftpd keys are accepted so that a vsftpd.conf works unchanged, and change\nnothing; each says why.\n");
        for k in ignored {
            out.push_str(&entry(k));
        }
    }
    out
}

#[cfg(test)]
pub(crate) const FTP_MAN_HEAD: &str = r#".TH RFTPD.CONF 5 "2026" "rftpd" "File formats"
.SH NAME
rftpd.conf \- configuration file of the rftpd FTP server
.SH SYNOPSIS
.B /etc/rftpd/rftpd.conf
.SH DESCRIPTION
One \fIkey\fB=\fIvalue\fR per line; lines starting with \fB#\fR and blank
lines are ignored; booleans are \fBYES\fR or \fBNO\fR. Key names are
vsftpd's wherever vsftpd has the setting. A key set twice, an unknown key or
a bad value is an error naming the file, the line and the key. Any key can
also be set on the command line with \fB\-o\fR \fIkey\fB=\fIvalue\fR,
which overrides the file. \fBrftpd \-\-check\-config\fR checks a file.
SIGHUP makes a running rftpd read it again for new sessions; a file with
errors is refused and the old configuration stays.
.SH KEYS
"#;

#[cfg(test)]
pub(crate) const FTP_MAN_TAIL: &str = r#".SH FILES
.TP
.B /etc/rftpd/rftpd.conf
this file
.TP
.B /etc/rftpd/rftpd.users
virtual users, see \fBrftpd.users\fR(5)
.SH SEE ALSO
.BR rftpd (8),
.BR rftpd.users (5),
.BR vsftpd.conf (5)
"#;

#[cfg(test)]
pub(crate) const TFTP_MAN_HEAD: &str = r#".TH RTFTPD 8 "2026" "rftpd" "System administration"
.SH NAME
rtftpd \- TFTP server sharing rftpd's jail, configuration syntax and logs
.SH SYNOPSIS
.B rtftpd
[\fB\-c\fR \fIfile\fR] [\fB\-o\fR \fIkey\fB=\fIvalue\fR]... [\fB\-\-check\-config\fR] [\fB\-\-inetd\fR] [\fB\-f\fR] [\fB\-V\fR] [\fB\-h\fR]
.SH DESCRIPTION
.B rtftpd
serves TFTP (RFC 1350) with the options blksize (RFC 2348), tsize and timeout
(RFC 2349) and windowsize (RFC 7440), in octet and netascii modes. The main
thread receives requests; each transfer runs in a worker thread from its own
UDP port. Every file name is resolved inside \fBtftp_root\fR (\fB../\fR and
absolute names stay inside, like \fBin.tftpd \-s\fR). Writes are off by
default; uploads are written under a temporary name and renamed into place
before the final acknowledgement, so a broken upload never destroys a file.
.SH OPTIONS
\fB\-c\fR \fIfile\fR (default \fB/etc/rftpd/rtftpd.conf\fR; \fB/dev/null\fR
for none), \fB\-o\fR \fIkey\fB=\fIvalue\fR, \fB\-\-check\-config\fR, \fB\-f\fR
(log to standard error) and \fB\-V\fR work as in \fBrftpd\fR(8).
\fB\-\-inetd\fR serves requests arriving on the UDP socket that is standard
input (inetd \fBdgram udp wait\fR) and exits after 30 idle seconds. Under
systemd socket activation the passed socket is used.
.SH SIGNALS
SIGHUP and SIGUSR1 reopen the log file. SIGTERM and SIGINT stop taking
requests and let running transfers finish for up to \fBshutdown_grace\fR
seconds; a second signal exits at once.
.SH CONFIGURATION KEYS
The syntax of \fBrftpd.conf\fR(5): one \fIkey\fB=\fIvalue\fR per line.
"#;

#[cfg(test)]
pub(crate) const TFTP_MAN_TAIL: &str = r#".SH SEE ALSO
.BR rftpd (8),
.BR rftpd.conf (5),
.BR in.tftpd (8)
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ftp::FTP_KEYS;
    use crate::tftp::config::TFTP_KEYS;

    /// etc/rftpd.conf documents every key with its real default. Regenerate
    /// with `RFTPD_BLESS=1 cargo test sample_config`.
    #[test]
    fn sample_config_matches_the_table() {
        for (keys, header, file) in
            [(FTP_KEYS, FTP_SAMPLE_HEADER, "rftpd.conf"), (TFTP_KEYS, TFTP_SAMPLE_HEADER, "rtftpd.conf")]
        {
            let expected = sample(keys, header);
            let path = format!("{}/etc/{file}", env!("CARGO_MANIFEST_DIR"));
            if std::env::var_os("RFTPD_BLESS").is_some() {
                std::fs::write(&path, &expected).unwrap();
            }
            let actual = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(actual == expected, "etc/{file} is out of date: run RFTPD_BLESS=1 cargo test sample_config");
        }
    }

    /// rftpd.conf(5) and rtftpd(8) list every key with its type and real default.
    #[test]
    fn man_page_matches_the_table() {
        let pages = [
            (FTP_KEYS, FTP_MAN_HEAD, FTP_MAN_TAIL, "rftpd.conf.5"),
            (TFTP_KEYS, TFTP_MAN_HEAD, TFTP_MAN_TAIL, "rtftpd.8"),
        ];
        for (keys, head, tail, file) in pages {
            let expected = format!("{head}{}{tail}", man_keys(keys));
            let path = format!("{}/etc/man/{file}", env!("CARGO_MANIFEST_DIR"));
            if std::env::var_os("RFTPD_BLESS").is_some() {
                std::fs::write(&path, &expected).unwrap();
            }
            let actual = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(actual == expected, "etc/man/{file} is out of date: run RFTPD_BLESS=1 cargo test man_page");
            for k in keys {
                assert!(actual.contains(&format!(".B {}\n", k.name)), "{} missing from {file}", k.name);
            }
        }
    }

    #[test]
    fn names_are_unique_and_defaults_parse() {
        for keys in [FTP_KEYS, TFTP_KEYS] {
            for (i, k) in keys.iter().enumerate() {
                assert!(keys[i + 1..].iter().all(|o| o.name != k.name), "{} twice", k.name);
                assert!(crate::config::parse::check_value(k, k.default).is_ok(), "{}", k.name);
            }
        }
        // Every field's type fits its key's kind: the defaults convert.
        use crate::config::parse::Values;
        crate::config::Config::from_values(&Values::defaults(FTP_KEYS)).unwrap();
        crate::tftp::config::TftpConfig::from_values(&Values::defaults(TFTP_KEYS)).unwrap();
    }
}
