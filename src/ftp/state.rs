//! Session state both login phases use: the fixed facts of one control
//! connection ([`Conn`]), what the client chose with OPTS
//! ([`ClientOptions`]) and what a command asks of the session loop
//! ([`Response`]). A leaf of `ftp/`: it imports no other part of a session.

use super::format::FactSet;
use super::reply::Reply;
use super::server::Server;
use crate::config::Config;
use std::net::SocketAddr;

/// The fixed facts of one control connection, handed to every command.
pub(crate) struct Conn<'a> {
    pub(crate) config: &'a Config,
    pub(crate) server: &'a Server,
    /// The client, IPv4-mapped addresses made plain IPv4.
    pub(crate) peer: SocketAddr,
    /// Our end of the control connection, likewise canonical.
    pub(crate) local: SocketAddr,
    pub(crate) sid: u64,
    /// What the session is doing, for `rftpd who`.
    pub(crate) seen: &'a crate::ftp::sessions::Seen,
}

impl<'a> Conn<'a> {
    /// The same connection under another config (a user's own, from user_config_dir).
    pub(crate) fn with_config<'b>(&'b self, config: &'b Config) -> Conn<'b> {
        Conn { config, server: self.server, peer: self.peer, local: self.local, sid: self.sid, seen: self.seen }
    }
}

/// What the client chose with OPTS; it holds across REIN and login.
#[derive(Debug, Default)]
pub(crate) struct ClientOptions {
    /// OPTS MLST: the facts MLSD and MLST show.
    pub(crate) facts: FactSet,
}

/// What the session loop does after a command.
pub(crate) enum Response {
    Reply(Reply),
    /// A transfer started; its reply comes when it ends.
    Started,
    /// Send this and close the connection.
    Close(Reply),
    /// Nothing to send (the command answered for itself, e.g. AUTH's 234).
    Nothing,
    /// Close the connection without a reply (it is unusable); the reason is logged.
    Hangup(String),
}
