//! sd_notify without libsystemd: one datagram to `$NOTIFY_SOCKET` (a path, or
//! an abstract socket when it starts with `@`). Silent when not under systemd.

use log::debug;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// Sends `state` (e.g. `READY=1`) if systemd asked for notifications.
pub(crate) fn notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else { return };
    let path = path.to_string_lossy().into_owned();
    let result = UnixDatagram::unbound().and_then(|sock| {
        let addr = match path.strip_prefix('@') {
            Some(name) => SocketAddr::from_abstract_name(name.as_bytes())?,
            None => SocketAddr::from_pathname(&path)?,
        };
        sock.send_to_addr(state.as_bytes(), &addr)
    });
    if let Err(e) = result {
        debug!("sd_notify {state:?} to {path}: {e}");
    }
}
