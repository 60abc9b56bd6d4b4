//! TYPE, PORT, EPRT, PASV, EPSV: transfer parameters and where the next data
//! connection comes from. Bounce protection lives here (RFC 2577 §3).

use super::LoggedIn;
use crate::ftp::command::{EprtArg, EpsvArg, TransferType};
use crate::ftp::data::{self, Pending};
use crate::ftp::error::{FtpError, FtpResult};
use crate::ftp::reply::{Reply, ReplyCode};
use crate::ftp::state::Conn;
use log::warn;
use std::net::{IpAddr, SocketAddr};

pub(crate) fn type_(s: &mut LoggedIn, t: TransferType) -> Reply {
    s.transfer_type = t;
    match t {
        TransferType::Ascii => Reply::new(ReplyCode::OK, "Switching to ASCII mode."),
        TransferType::Image => Reply::new(ReplyCode::OK, "Switching to Binary mode."),
    }
}

/// RFC 2428's network protocol numbers: 1 for IPv4, 2 for IPv6.
fn protocol_number(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 1 } else { 2 }
}

fn active_allowed(s: &LoggedIn, conn: &Conn<'_>) -> Result<(), FtpError> {
    if s.epsv_all {
        return Err(FtpError::AfterEpsvAll);
    }
    if !conn.config.port_enable {
        return Err(FtpError::ActiveDisabled);
    }
    Ok(())
}

/// Accepts an active-mode target only on the control peer's address and a
/// non-privileged port, unless port_promiscuous is set.
fn set_active(s: &mut LoggedIn, conn: &Conn<'_>, target: SocketAddr, ok: &str) -> FtpResult {
    // lftp announces `EPRT |2|::|port|` from a listener on [::]: the unspecified
    // address can only mean "me", so it is the control peer, never another host.
    let ip = if target.ip().is_unspecified() { conn.peer.ip() } else { target.ip().to_canonical() };
    let target = SocketAddr::new(ip, target.port());
    if !conn.config.port_promiscuous && (target.ip() != conn.peer.ip() || target.port() < 1024) {
        warn!("session={} client={} refused active target {target} (bounce protection)", conn.sid, conn.peer.ip());
        return Err(FtpError::IllegalPort);
    }
    s.data = Some(Pending::Active(target));
    Ok(Reply::new(ReplyCode::OK, ok))
}

pub(crate) fn port(s: &mut LoggedIn, conn: &Conn<'_>, target: SocketAddr) -> FtpResult {
    active_allowed(s, conn)?;
    set_active(s, conn, target, "PORT command successful. Consider using PASV.")
}

pub(crate) fn eprt(s: &mut LoggedIn, conn: &Conn<'_>, arg: EprtArg) -> FtpResult {
    active_allowed(s, conn)?;
    match arg {
        EprtArg::UnsupportedProtocol => Err(FtpError::NetworkProtocol(protocol_number(conn.peer.ip()))),
        EprtArg::Addr(target) => set_active(s, conn, target, "EPRT command successful. Consider using EPSV."),
    }
}

/// Opens a passive listener for the next transfer; returns its port.
fn listen(s: &mut LoggedIn, conn: &Conn<'_>) -> Result<u16, FtpError> {
    s.data = None;
    let client = conn.peer.ip();
    let Some(slot) = conn.server.registry.pasv_ports.acquire(client, conn.config.max_pasv_per_ip) else {
        warn!("session={} client={client} refused a passive port: max_pasv_per_ip reached", conn.sid);
        return Err(FtpError::NoPassivePort);
    };
    // Behind a balancer, data connections come from the balancer (their
    // PROXY header names the client): no kernel filter on the client then.
    let filtered = !conn.config.pasv_promiscuous && !conn.config.proxy_protocol_enable;
    let only_from = filtered.then_some(client);
    match data::open_passive(conn.local.ip(), conn.config.pasv_range(), only_from, Some(slot)) {
        Ok(l) => {
            let port = l.port;
            s.data = Some(Pending::Passive(l));
            Ok(port)
        }
        Err(e) => {
            warn!("session={} cannot open a passive port: {e}", conn.sid);
            Err(FtpError::NoPassivePort)
        }
    }
}

pub(crate) fn pasv(s: &mut LoggedIn, conn: &Conn<'_>) -> FtpResult {
    if s.epsv_all {
        return Err(FtpError::AfterEpsvAll);
    }
    if !conn.config.pasv_enable {
        return Err(FtpError::PassiveDisabled);
    }
    let announce = match (conn.server.pasv_ip, conn.local.ip()) {
        (Some(a), _) | (None, IpAddr::V4(a)) => a,
        // Never announce 0,0,0,0: PASV cannot carry an IPv6 address.
        _ => return Err(FtpError::PasvNeedsIpv4),
    };
    let port = listen(s, conn)?;
    let [a, b, c, d] = announce.octets();
    let text = format!("Entering Passive Mode ({a},{b},{c},{d},{},{}).", port >> 8, port & 0xff);
    Ok(Reply::new(ReplyCode::PASSIVE, text))
}

pub(crate) fn epsv(s: &mut LoggedIn, conn: &Conn<'_>, arg: EpsvArg) -> FtpResult {
    if !conn.config.pasv_enable {
        return Err(FtpError::PassiveDisabled);
    }
    let ours = protocol_number(conn.local.ip());
    match arg {
        EpsvArg::All => {
            s.epsv_all = true;
            return Ok(Reply::new(ReplyCode::OK, "EPSV ALL ok."));
        }
        EpsvArg::Protocol(p) if p != ours => return Err(FtpError::NetworkProtocol(ours)),
        _ => {}
    }
    let port = listen(s, conn)?;
    Ok(Reply::new(ReplyCode::EXTENDED_PASSIVE, format!("Entering Extended Passive Mode (|||{port}|)")))
}
