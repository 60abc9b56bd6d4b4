//! PASV/EPSV/PORT/EPRT, IPv6, bounce and theft protection.

use crate::support::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

#[test]
fn pasv_reply_shape_and_transfer() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    std::fs::write(srv.path("home/alice/p.txt"), "pasv").unwrap();
    let r = c.cmd("PASV");
    assert!(r.lines[0].starts_with("227 Entering Passive Mode (127,0,0,1,"), "{r:?}");
    assert!(r.lines[0].ends_with(")."));
    let mut data = TcpStream::connect(parse_227(&r.lines[0])).unwrap();
    assert_eq!(c.cmd("RETR p.txt").code, 150);
    let mut buf = Vec::new();
    data.read_to_end(&mut buf).unwrap();
    assert_eq!(buf, b"pasv");
    assert_eq!(c.reply().code, 226);
}

#[test]
fn pasv_range_and_nat_address() {
    let srv =
        TestServer::start(&[("pasv_min_port", "40100"), ("pasv_max_port", "40110"), ("pasv_address", "203.0.113.7")]);
    let mut c = srv.alice();
    let r = c.cmd("PASV");
    assert!(r.lines[0].starts_with("227 Entering Passive Mode (203,0,113,7,"), "{r:?}");
    let port = parse_227(&r.lines[0]).port();
    assert!((40100..=40110).contains(&port), "{port}");
    let r = c.cmd("EPSV");
    let port: u16 = r.lines[0].split('|').nth(3).unwrap().parse().unwrap();
    assert!((40100..=40110).contains(&port), "{port}");
}

#[test]
fn active_port_and_eprt() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/a.txt"), "active").unwrap();
    let mut c = srv.alice();
    for cmd in ["PORT", "EPRT"] {
        let l = active_listener("127.0.0.1");
        let port = l.local_addr().unwrap().port();
        let arg = if cmd == "PORT" {
            format!("PORT 127,0,0,1,{},{}", port >> 8, port & 255)
        } else {
            format!("EPRT |1|127.0.0.1|{port}|")
        };
        assert_eq!(c.cmd(&arg).code, 200);
        assert_eq!(c.cmd("RETR a.txt").code, 150);
        let mut data = accept(&l);
        let mut buf = Vec::new();
        data.read_to_end(&mut buf).unwrap();
        assert_eq!(buf, b"active");
        assert_eq!(c.reply().code, 226);
    }
    // Upload in active mode too.
    let l = active_listener("127.0.0.1");
    let port = l.local_addr().unwrap().port();
    assert_eq!(c.cmd(&format!("EPRT |1|127.0.0.1|{port}|")).code, 200);
    assert_eq!(c.cmd("STOR up.txt").code, 150);
    let mut data = accept(&l);
    data.write_all(b"uploaded").unwrap();
    drop(data);
    assert_eq!(c.reply().code, 226);
    assert_eq!(std::fs::read(srv.path("home/alice/up.txt")).unwrap(), b"uploaded");
}

#[test]
fn bounce_port_to_other_host_or_low_port_is_refused() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    // RFC 2577 §3: only the control peer's address, and no privileged port.
    assert_eq!(c.cmd("PORT 127,0,0,2,200,10").lines[0], "500 Illegal PORT command.");
    assert_eq!(c.cmd("EPRT |1|127.0.0.2|51210|").lines[0], "500 Illegal PORT command.");
    assert_eq!(c.cmd("PORT 127,0,0,1,0,25").lines[0], "500 Illegal PORT command.");
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|21|").code, 500);
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|1023|").code, 500, "1023 is privileged");
    std::fs::write(srv.path("home/alice/x"), "x").unwrap();
    assert_eq!(c.cmd("RETR x").lines[0], "425 Use PORT or PASV first.", "the refused PORTs set up nothing");
    srv.wait_log("bounce protection");
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|1024|").code, 200, "1024 is not");
}

#[test]
fn passive_connection_from_another_address_is_refused() {
    let srv = TestServer::start(&[("accept_timeout", "2")]);
    std::fs::write(srv.path("home/alice/t.txt"), "theft").unwrap();
    let mut c = srv.alice();
    let r = c.cmd("EPSV");
    let port: u16 = r.lines[0].split('|').nth(3).unwrap().parse().unwrap();
    let target: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // The thief connects from 127.0.0.2 first.
    let thief = std::net::TcpListener::bind("127.0.0.2:0").map(drop).ok();
    assert!(thief.is_some(), "127.0.0.2 must be usable on loopback");
    let thief = connect_from("127.0.0.2", target);
    c.send("RETR t.txt");
    // Only the thief connected: after the accept timeout, 425 and the session goes on.
    assert_eq!(c.reply().lines[0], "425 Security: Bad IP connecting.");
    drop(thief);
    srv.wait_log("passive data connection from 127.0.0.2 refused");
    // The real client still gets its file when it connects, even after a thief.
    let r = c.cmd("EPSV");
    let port: u16 = r.lines[0].split('|').nth(3).unwrap().parse().unwrap();
    let target: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let _thief = connect_from("127.0.0.2", target);
    let mut data = TcpStream::connect(target).unwrap();
    assert_eq!(c.cmd("RETR t.txt").code, 150);
    let mut buf = Vec::new();
    data.read_to_end(&mut buf).unwrap();
    assert_eq!(buf, b"theft");
    assert_eq!(c.reply().code, 226);
}

#[test]
fn epsv_all_and_protocol_numbers() {
    let srv = TestServer::start(&[]);
    let mut c = srv.alice();
    assert_eq!(c.cmd("EPSV 2").lines[0], "522 Network protocol not supported, use (1)");
    assert_eq!(c.cmd("EPSV 1").code, 229);
    assert_eq!(c.cmd("EPRT |3|x|5000|").lines[0], "522 Network protocol not supported, use (1)");
    assert_eq!(c.cmd("EPSV ALL").code, 200);
    assert_eq!(c.cmd("PASV").code, 500);
    assert_eq!(c.cmd("PORT 127,0,0,1,200,10").code, 500);
    assert_eq!(c.cmd("EPRT |1|127.0.0.1|51210|").code, 500);
    assert_eq!(c.cmd("EPSV").code, 229);
}

#[test]
fn ipv6_control_and_data() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        assert!(std::env::var("CI").is_err(), "CI must have IPv6 loopback");
        eprintln!("SKIPPED: no IPv6 loopback");
        return;
    }
    let srv = TestServer::start_on("::1", &[]);
    let content = pattern(500_000, 9);
    let mut c = srv.alice();
    assert_eq!(c.cmd("TYPE I").code, 200);
    assert_eq!(c.upload("STOR v6.bin", &content).code, 226);
    assert_eq!(c.retr("v6.bin"), content);
    // lftp's form: the unspecified address means the client itself.
    let l = active_listener("::1");
    let port = l.local_addr().unwrap().port();
    assert_eq!(c.cmd(&format!("EPRT |2|::|{port}|")).code, 200);
    assert_eq!(c.cmd("RETR v6.bin").code, 150);
    let mut buf = Vec::new();
    accept(&l).read_to_end(&mut buf).unwrap();
    assert_eq!(buf, content);
    assert_eq!(c.reply().code, 226);
    assert_eq!(c.cmd("EPSV 1").lines[0], "522 Network protocol not supported, use (2)");
    assert_eq!(c.cmd("PASV").code, 500, "PASV cannot describe an IPv6 address");
    let l = active_listener("::1");
    let port = l.local_addr().unwrap().port();
    assert_eq!(c.cmd(&format!("EPRT |2|::1|{port}|")).code, 200);
    assert_eq!(c.cmd("RETR v6.bin").code, 150);
    let mut data = accept(&l);
    let mut buf = Vec::new();
    data.read_to_end(&mut buf).unwrap();
    assert_eq!(buf, content);
    assert_eq!(c.reply().code, 226);
}

#[test]
fn dual_stack_default_listener_serves_both_families() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("SKIPPED: no IPv6 loopback");
        return;
    }
    // listen_address empty = one [::] socket for IPv4 and IPv6.
    let srv = TestServer::start_on("", &[]);
    let port = srv.addr.port();
    for ip in ["127.0.0.1", "::1"] {
        let mut c = FtpClient::connect(SocketAddr::new(ip.parse().unwrap(), port));
        assert_eq!(c.cmd("USER alice").code, 331);
        assert_eq!(c.cmd("PASS secret").code, 230);
        assert_eq!(c.listing("NLST"), "");
    }
}
