//! The control socket (`control_socket`): a Unix socket, mode 0600, that
//! `rftpd who` and `rftpd kick` talk to. Only root and the daemon's own
//! user may connect (the file mode, then the peer's credentials). One
//! request line per connection, at most 256 bytes within 2 seconds:
//! `who`, `who json` or `kick ID`; the answer follows and the socket closes.

use super::sessions::{Registry, SessionRow};
use log::{info, warn};
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const IO_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_REQUEST: u64 = 256;

/// Binds `path` (replacing a stale socket) and answers on it from a new thread.
pub(crate) fn start(path: &str, registry: Arc<Registry>) -> io::Result<()> {
    let p = Path::new(path);
    // The daemon runs with umask 0: a directory made here is private.
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700).create(dir)?;
    }
    if std::fs::symlink_metadata(p).is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type())) {
        std::fs::remove_file(p)?;
    }
    let listener = UnixListener::bind(p)?;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600))?;
    info!("control socket {path}");
    std::thread::Builder::new().name("control".into()).spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Err(e) = answer(stream, &registry) {
                warn!("control socket request failed: {e}");
            }
        }
    })?;
    Ok(())
}

fn answer(mut s: UnixStream, registry: &Registry) -> io::Result<()> {
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    let peer =
        nix::sys::socket::getsockopt(&s, nix::sys::socket::sockopt::PeerCredentials).map_err(crate::sys::io_err)?;
    let me = nix::unistd::geteuid().as_raw();
    if peer.uid() != 0 && peer.uid() != me {
        warn!("control socket: refused uid {}", peer.uid());
        return s.write_all(b"refused: only root or the daemon's user may use the control socket\n");
    }
    let mut line = String::new();
    BufReader::new((&s).take(MAX_REQUEST)).read_line(&mut line)?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let reply = match words[..] {
        ["who"] => who_text(&registry.who()),
        ["who", "json"] => who_json(&registry.who()),
        ["kick", id] => match id.parse::<u64>() {
            Ok(id) if registry.kick(id) => {
                info!("session={id} kicked through the control socket");
                format!("kicked {id}\n")
            }
            _ => format!("error: no session {id}\n"),
        },
        _ => "error: requests are: who, who json, kick ID\n".to_string(),
    };
    s.write_all(reply.as_bytes())
}

fn when(t: SystemTime) -> crate::sys::time::Civil {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    crate::sys::time::civil_local(secs)
}

fn who_text(rows: &[SessionRow]) -> String {
    let mut out = format!("{:<6} {:<16} {:<40} {:<19} {:>6}  COMMAND\n", "ID", "USER", "CLIENT", "SINCE", "IDLE");
    for r in rows {
        let mut what = r.command.clone();
        if let Some((file, bytes, size, rate)) = &r.transfer {
            let size = size.map(|s| s.to_string()).unwrap_or_else(|| "?".into());
            what = format!("{what} [{file} {bytes}/{size} bytes, {rate} B/s]");
        }
        let since = when(r.since).to_string();
        let _ = writeln!(out, "{:<6} {:<16} {:<40} {since:<19} {:>5}s  {what}", r.id, r.user, r.client, r.idle_secs);
    }
    out
}

fn json_string(s: &str) -> String {
    let mut out = String::new();
    crate::log::json::quote(&mut out, s);
    out
}

fn who_json(rows: &[SessionRow]) -> String {
    let items: Vec<String> = rows
        .iter()
        .map(|r| {
            let since = r.since.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            let transfer = match &r.transfer {
                None => "null".to_string(),
                Some((file, bytes, size, rate)) => format!(
                    "{{\"file\":{},\"bytes\":{bytes},\"size\":{},\"rate\":{rate}}}",
                    json_string(file),
                    size.map(|s| s.to_string()).unwrap_or_else(|| "null".into())
                ),
            };
            format!(
                "{{\"id\":{},\"user\":{},\"client\":\"{}\",\"since\":{since},\"idle\":{},\"command\":{},\"transfer\":{transfer}}}",
                r.id,
                json_string(&r.user),
                r.client,
                r.idle_secs,
                json_string(&r.command)
            )
        })
        .collect();
    format!("[{}]\n", items.join(","))
}

/// The client side (`rftpd who`, `rftpd kick`): sends `request`, returns the answer.
pub fn ask(path: &str, request: &str) -> io::Result<String> {
    let mut s = UnixStream::connect(path).map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(format!("{request}\n").as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}
