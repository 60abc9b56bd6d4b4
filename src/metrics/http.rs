//! The `/metrics` endpoint: a blocking HTTP/1.0-style server on its own
//! thread, one short request at a time (Prometheus scrapes every few
//! seconds). It answers `GET /metrics` and 404 to anything else, reads at
//! most 8 KiB of request within 2 seconds, and closes after each answer.

use log::{info, warn};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

const MAX_REQUEST: usize = 8192;
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// Binds `addr` and serves `render` there from a new thread.
pub(crate) fn start(addr: SocketAddr, render: fn() -> String) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    info!("metrics on http://{}/metrics", listener.local_addr()?);
    std::thread::Builder::new().name("metrics".into()).spawn(move || {
        for stream in listener.incoming() {
            match stream {
                Ok(s) => {
                    if let Err(e) = answer(s, render) {
                        warn!("metrics request failed: {e}");
                    }
                }
                Err(e) => {
                    warn!("metrics accept failed: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    })?;
    Ok(())
}

fn answer(mut s: TcpStream, render: fn() -> String) -> io::Result<()> {
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && !req.windows(2).any(|w| w == b"\n\n") {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        req.extend_from_slice(&buf[..n]);
        if req.len() > MAX_REQUEST {
            return respond(&mut s, "431 Request Header Fields Too Large", "text/plain", "too large\n");
        }
    }
    let line = req.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut parts = line.split(|b| *b == b' ');
    let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    match (method, path) {
        (b"GET", b"/metrics") => respond(&mut s, "200 OK", "text/plain; version=0.0.4; charset=utf-8", &render()),
        (b"GET", _) => respond(&mut s, "404 Not Found", "text/plain", "see /metrics\n"),
        _ => respond(&mut s, "405 Method Not Allowed", "text/plain", "GET only\n"),
    }
}

fn respond(s: &mut TcpStream, status: &str, content_type: &str, body: &str) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body.as_bytes())
}
