//! STAT without an argument: the session's state (RFC 959 §4.1.3).

use super::LoggedIn;
use crate::ftp::command::TransferType;
use crate::ftp::data::Pending;
use crate::ftp::reply::{Reply, ReplyCode};
use crate::ftp::state::Conn;

pub(crate) fn status(s: &LoggedIn, conn: &Conn<'_>) -> Reply {
    let mut lines = vec![
        format!("     Connected to {}", conn.peer.ip()),
        format!("     Logged in as {}", s.identity.name),
        format!("     TYPE: {}", if s.transfer_type == TransferType::Ascii { "ASCII" } else { "BINARY" }),
        format!("     Session timeout in seconds is {}", conn.config.idle_session_timeout.as_secs()),
    ];
    lines.push(match &s.data {
        None => "     No data connection".into(),
        Some(Pending::Passive(l)) => format!("     Passive mode, listening on port {}", l.port),
        Some(Pending::Active(a)) => format!("     Active mode, will connect to {a}"),
    });
    lines.push("     rftpd".into());
    Reply::multi(ReplyCode::SYSTEM_STATUS, "FTP server status:", lines, "End of status")
}
