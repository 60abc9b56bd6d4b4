//! TYPE, PORT, EPRT, PASV, EPSV: transfer parameters and where the next data
//! connection comes from. Bounce protection lives here (RFC 2577 §3).

use super::LoggedIn;
use crate::ftp::Env;
use crate::ftp::command::{EprtArg, EpsvArg, TransferType};
use crate::ftp::data::{self, Pending};
use crate::ftp::error::FtpResult;
use crate::ftp::reply::Reply;
use log::warn;
use std::net::{IpAddr, SocketAddr};

pub fn type_(s: &mut LoggedIn, t: TransferType) -> Reply {
    s.transfer_type = t;
    match t {
        TransferType::Ascii => Reply::new(200, "Switching to ASCII mode."),
        TransferType::Image => Reply::new(200, "Switching to Binary mode."),
    }
}

fn protocol_number(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 1 } else { 2 }
}

fn active_refusal(s: &LoggedIn, env: &Env<'_>) -> Option<Reply> {
    if s.epsv_all {
        return Some(Reply::new(500, "Not allowed after EPSV ALL."));
    }
    (!env.config.port_enable).then(|| Reply::new(500, "Active mode (PORT/EPRT) is disabled on this server."))
}

/// Accepts an active-mode target only on the control peer's address and a
/// non-privileged port, unless port_promiscuous is set.
fn set_active(s: &mut LoggedIn, env: &Env<'_>, target: SocketAddr, ok: &str) -> FtpResult {
    // lftp announces `EPRT |2|::|port|` from a listener on [::]: the unspecified
    // address can only mean "me", so it is the control peer, never another host.
    let ip = if target.ip().is_unspecified() { env.peer.ip() } else { target.ip().to_canonical() };
    let target = SocketAddr::new(ip, target.port());
    if !env.config.port_promiscuous && (target.ip() != env.peer.ip() || target.port() < 1024) {
        warn!("session={} client={} refused active target {target} (bounce protection)", env.sid, env.peer.ip());
        return Ok(Reply::new(500, "Illegal PORT command."));
    }
    s.data = Some(Pending::Active(target));
    Ok(Reply::new(200, ok))
}

pub fn port(s: &mut LoggedIn, env: &Env<'_>, target: SocketAddr) -> FtpResult {
    if let Some(r) = active_refusal(s, env) {
        return Ok(r);
    }
    set_active(s, env, target, "PORT command successful. Consider using PASV.")
}

pub fn eprt(s: &mut LoggedIn, env: &Env<'_>, arg: EprtArg) -> FtpResult {
    if let Some(r) = active_refusal(s, env) {
        return Ok(r);
    }
    match arg {
        EprtArg::UnsupportedProtocol => {
            Ok(Reply::new(522, format!("Network protocol not supported, use ({})", protocol_number(env.peer.ip()))))
        }
        EprtArg::Addr(target) => set_active(s, env, target, "EPRT command successful. Consider using EPSV."),
    }
}

fn listen(s: &mut LoggedIn, env: &Env<'_>) -> Result<u16, Reply> {
    s.data = None;
    match data::open_passive(env.local.ip(), env.config.pasv_range()) {
        Ok(l) => {
            let port = l.port;
            s.data = Some(Pending::Passive(l));
            Ok(port)
        }
        Err(e) => {
            warn!("session={} cannot open a passive port: {e}", env.sid);
            Err(Reply::new(425, "Cannot open passive connection."))
        }
    }
}

pub fn pasv(s: &mut LoggedIn, env: &Env<'_>) -> FtpResult {
    if s.epsv_all {
        return Ok(Reply::new(500, "Not allowed after EPSV ALL."));
    }
    if !env.config.pasv_enable {
        return Ok(Reply::new(500, "Passive mode is disabled on this server."));
    }
    let announce = match (env.config.pasv_address, env.local.ip()) {
        (Some(IpAddr::V4(a)), _) | (None, IpAddr::V4(a)) => a,
        // Never announce 0,0,0,0: PASV cannot carry an IPv6 address.
        _ => {
            return Ok(Reply::new(500, "PASV is for IPv4; use EPSV on this IPv6 connection."));
        }
    };
    let port = match listen(s, env) {
        Ok(p) => p,
        Err(r) => return Ok(r),
    };
    let [a, b, c, d] = announce.octets();
    Ok(Reply::new(227, format!("Entering Passive Mode ({a},{b},{c},{d},{},{}).", port >> 8, port & 0xff)))
}

pub fn epsv(s: &mut LoggedIn, env: &Env<'_>, arg: EpsvArg) -> FtpResult {
    if !env.config.pasv_enable {
        return Ok(Reply::new(500, "Passive mode is disabled on this server."));
    }
    let ours = protocol_number(env.local.ip());
    match arg {
        EpsvArg::All => {
            s.epsv_all = true;
            return Ok(Reply::new(200, "EPSV ALL ok."));
        }
        EpsvArg::Protocol(p) if p != ours => {
            return Ok(Reply::new(522, format!("Network protocol not supported, use ({ours})")));
        }
        _ => {}
    }
    match listen(s, env) {
        Ok(port) => Ok(Reply::new(229, format!("Entering Extended Passive Mode (|||{port}|)"))),
        Err(r) => Ok(r),
    }
}
