//! Property tests (proptest) over everything that parses untrusted input:
//! the command parser, the control-line assembler, path resolution and the
//! jail, PORT/EPRT/EPSV arguments, PROXY headers and the config parser. `make test` runs
//! the default 256 cases each; for a long run:
//! `PROPTEST_CASES=200000 cargo test --release --test fuzz`.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rftpd::config::ftp::FTP_KEYS;
use rftpd::config::parse::Values;
use rftpd::ftp::command;
use rftpd::ftp::control::{Line, LineAssembler};
use rftpd::jail::{Jail, VirtualPath};
use rftpd::limits::MAX_COMMAND_LINE;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

proptest! {
    /// PROXY v1 lines and v2 bodies from any bytes: a header or an error,
    /// never a panic; a well-formed v1 line reads back what was written.
    #[test]
    fn proxy_headers_take_any_bytes(
        line in proptest::collection::vec(any::<u8>(), 0..120),
        ver in any::<u8>(),
        fam in any::<u8>(),
        body in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let _ = rftpd::proxy::parse_v1(&line);
        let _ = rftpd::proxy::parse_v2(ver, fam, &body);
    }

    #[test]
    fn proxy_v1_round_trip(src in any::<u32>(), dst in any::<u32>(), sport in any::<u16>(), dport in any::<u16>()) {
        let (s, d) = (Ipv4Addr::from(src), Ipv4Addr::from(dst));
        let line = format!("PROXY TCP4 {s} {d} {sport} {dport}\r\n");
        let h = rftpd::proxy::parse_v1(line.as_bytes()).unwrap();
        prop_assert_eq!(h, rftpd::proxy::Header::Proxied {
            client: SocketAddr::new(IpAddr::V4(s), sport),
            server: SocketAddr::new(IpAddr::V4(d), dport),
        });
    }

    /// Any bytes: a command or a parse error, never a panic.
    #[test]
    fn command_parser_takes_any_bytes(line in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = command::parse(&line);
    }

    /// Known verbs with any argument text.
    #[test]
    fn command_parser_takes_any_argument(
        verb in prop::sample::select(vec![
            "USER", "PASS", "CWD", "PORT", "EPRT", "EPSV", "REST", "TYPE", "MFMT", "STRU", "MODE", "PROT",
            "PBSZ", "AUTH", "OPTS", "SITE", "LIST", "MLST", "RETR", "STOR", "RNTO", "SIZE",
        ]),
        arg in ".{0,80}",
    ) {
        let _ = command::parse(format!("{verb} {arg}").as_bytes());
    }

    /// PORT round trip: what a client formats, rftpd reads back.
    #[test]
    fn port_round_trip(ip in any::<u32>(), port in any::<u16>()) {
        let ip = Ipv4Addr::from(ip);
        let [a, b, c, d] = ip.octets();
        let arg = format!("{a},{b},{c},{d},{},{}", port >> 8, port & 0xff);
        prop_assert_eq!(command::parse_port(&arg), Ok(SocketAddr::new(IpAddr::V4(ip), port)));
    }

    #[test]
    fn eprt_and_epsv_take_any_text(arg in "[|0-9a-fA-F:.ALL ]{0,60}") {
        let _ = command::parse_eprt(&arg);
        let _ = command::parse(format!("EPSV {arg}").as_bytes());
    }

    /// However the bytes are split into reads, the same lines come out, and
    /// no line longer than the limit is ever held.
    #[test]
    fn line_assembler_is_split_invariant(
        input in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(0xffu8), any::<u8>()], 0..6_000),
        cut in 1usize..700,
    ) {
        let whole = lines(&[&input[..]]);
        let pieces: Vec<&[u8]> = input.chunks(cut).collect();
        prop_assert_eq!(&lines(&pieces), &whole);
        for l in &whole {
            if let Line::Command(c) = l {
                prop_assert!(c.len() <= MAX_COMMAND_LINE);
            }
        }
    }

    /// Resolution never leaves "/", never keeps "." or ".." or empty parts.
    #[test]
    fn virtual_paths_stay_normal(cwd in "(/[a-z.]{1,3}){0,4}", text in "[a-z./]{0,40}") {
        let base = VirtualPath::root().resolve(&cwd).unwrap();
        if let Ok(p) = base.resolve(&text) {
            let s = p.as_str();
            prop_assert!(s.starts_with('/'));
            prop_assert!(s == "/" || !s.ends_with('/'));
            prop_assert!(s == "/" || s.split('/').skip(1).all(|c| !c.is_empty() && c != "." && c != ".."), "{}", s);
        }
    }

    /// Any config text: parsed or refused with the file and a line number in range.
    #[test]
    fn config_parser_takes_any_text(
        lines in proptest::collection::vec(
            prop_oneof![
                "[a-z_]{1,24}=.{0,30}",
                prop::sample::select(FTP_KEYS.iter().map(|k| k.name).collect::<Vec<_>>())
                    .prop_flat_map(|k| ".{0,20}".prop_map(move |v| format!("{k}={v}"))),
                ".{0,40}",
            ],
            0..20,
        ),
    ) {
        let text = lines.join("\n");
        let mut values = Values::defaults(FTP_KEYS);
        if let Err(errors) = values.apply_text("fuzz.conf", &text) {
            for e in errors.0 {
                prop_assert_eq!(e.file.as_str(), "fuzz.conf");
                prop_assert!(e.line.is_some_and(|l| l >= 1 && l <= lines.len().max(1)), "{:?}", e);
            }
        }
    }
}

fn lines(pieces: &[&[u8]]) -> Vec<Line> {
    let mut a = LineAssembler::default();
    let mut out = Vec::new();
    for piece in pieces {
        let mut rest = *piece;
        loop {
            let (line, used) = a.feed(rest);
            rest = &rest[used..];
            match line {
                Some(l) => out.push(l),
                None => break,
            }
        }
    }
    out
}

/// Whatever path a client names, the jail opens nothing outside its root:
/// symlinks to "/", to "../.." and to /etc/passwd are all resolved inside.
#[test]
fn jail_opens_nothing_outside_the_root() {
    // A root with a decoy etc/passwd and links that point out of it, beside
    // a secret it must never reach.
    let base = std::env::temp_dir().join(format!("rftpd-fuzz-{}", std::process::id()));
    let root = base.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(base.join("secret.txt"), "SECRET").unwrap();
    std::fs::write(root.join("inside.txt"), "inside").unwrap();
    std::fs::write(root.join("etc/passwd"), "decoy").unwrap();
    std::os::unix::fs::symlink("../..", root.join("up")).unwrap();
    std::os::unix::fs::symlink("/", root.join("abs")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("link")).unwrap();
    let jail = Jail::open(&root).unwrap();
    let parts = prop::sample::select(vec![
        "..",
        ".",
        "",
        "etc",
        "passwd",
        "up",
        "abs",
        "link",
        "secret.txt",
        "inside.txt",
        "root",
    ]);
    let strategy = (proptest::collection::vec(parts, 1..8), any::<bool>());
    let result = TestRunner::new(Config::default()).run(&strategy, |(parts, absolute)| {
        let text = format!("{}{}", if absolute { "/" } else { "" }, parts.join("/"));
        if let Ok(p) = VirtualPath::root().resolve(&text)
            && let Ok(mut f) = jail.open_read(&p)
        {
            let mut body = String::new();
            let _ = f.read_to_string(&mut body);
            prop_assert!(body == "inside" || body == "decoy", "{} opened {:?}", text, body);
        }
        Ok(())
    });
    std::fs::remove_dir_all(&base).unwrap();
    result.unwrap();
}
