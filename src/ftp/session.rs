//! Session state and the command loop: read → parse → dispatch by phase →
//! reply. A parse error or a failed command never ends the session; only
//! QUIT, the idle timeout, too many failed logins or the client leaving do.

use super::command::{self, Command, ParseError};
use super::control::{Control, Line};
use super::format::FactSet;
use super::handlers::{self, LoggedIn, Response, security};
use super::reply::Reply;
use super::{Env, Shared, prelogin};
use crate::sys::net;
use log::{debug, info, warn};
use nix::poll::{PollFd, PollFlags};
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

/// Where a session is in the login sequence. Only `LoggedIn` holds a jail.
pub enum Phase {
    AwaitingUser,
    AwaitingPass { user: String },
    LoggedIn(Box<LoggedIn>),
}

/// Per-session options that exist before login too.
#[derive(Debug, Default)]
pub struct Options {
    pub facts: FactSet,
    pub failed_logins: u32,
}

fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// Runs one whole session on an accepted control connection.
pub fn serve(stream: TcpStream, sid: u64, shared: &Shared) {
    let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
        return;
    };
    let (peer, local) = (canonical(peer), canonical(local));
    let config = shared.config.clone();
    let env = Env { config: &config, shared, peer, local, sid };
    info!("session={sid} client={} connected", peer.ip());
    let setup = net::tune_control(&stream)
        .and_then(|()| stream.set_read_timeout(Some(config.idle_session_timeout)))
        .and_then(|()| stream.set_write_timeout(Some(config.idle_session_timeout)));
    if let Err(e) = setup {
        warn!("session={sid} client={} control socket set-up failed: {e}", peer.ip());
        return;
    }
    let stream = Arc::new(stream);
    let Some(_registration) = shared.lifecycle.register(sid, &stream) else {
        let _ = Control::new(stream, config.idle_session_timeout).reply(&Reply::new(421, "Server shutting down."));
        return;
    };
    let mut control = Control::new(stream, config.idle_session_timeout);
    if control.set_deadline(Some(Instant::now() + config.login_timeout)).is_err() {
        return;
    }
    let mut session = Session { env: &env, control, phase: Phase::AwaitingUser, options: Options::default() };
    let end = session.run();
    session.stop_transfer();
    info!("session={sid} client={} closed: {end}", peer.ip());
}

struct Session<'a> {
    env: &'a Env<'a>,
    control: Control,
    phase: Phase,
    options: Options,
}

/// What the session is waiting on while a transfer runs.
enum Event {
    Line(Option<Line>),
    TransferDone,
}

impl Session<'_> {
    /// The command loop; returns why the session ended, for the log.
    fn run(&mut self) -> String {
        if self.env.config.implicit_ssl
            && let Err(e) = self.start_tls()
        {
            return if self.control.deadline_passed() {
                "login timeout".into()
            } else {
                format!("TLS handshake failed: {e}")
            };
        }
        let banner = Reply::new(220, self.env.config.ftpd_banner.clone());
        if let Err(e) = self.send(&banner) {
            return format!("greeting failed: {e}");
        }
        loop {
            let event = match self.next_event() {
                Ok(ev) => ev,
                Err(e) if self.control.deadline_passed() => {
                    let _ = self.send(&Reply::new(421, "Login timed out."));
                    return format!("login timeout ({e})");
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    let _ = self.send(&Reply::new(421, "Timeout."));
                    return "idle timeout".into();
                }
                Err(e) => return format!("control connection error: {e}"),
            };
            let line = match event {
                Event::TransferDone => {
                    if let Err(e) = self.finish_transfer() {
                        return format!("control connection error: {e}");
                    }
                    continue;
                }
                Event::Line(None) if self.env.shared.lifecycle.draining() => return self.drain(),
                Event::Line(None) => return "client closed the connection".into(),
                Event::Line(Some(Line::TooLong)) => {
                    warn!("session={} client={} command line too long", self.env.sid, self.env.peer.ip());
                    Response::Reply(Reply::new(500, "Command line too long."))
                }
                Event::Line(Some(Line::Command(bytes))) => self.handle(&bytes),
            };
            let result = match line {
                Response::Reply(r) => self.send(&r),
                Response::Started | Response::Nothing => Ok(()),
                Response::Hangup(why) => return why,
                Response::Close(r) => {
                    let _ = self.send(&r);
                    return format!("{} {}", r.code, r.lines[0]);
                }
            };
            if let Err(e) = result {
                return format!("control connection error: {e}");
            }
        }
    }

    /// The server is stopping (the master cut our read side): let a running
    /// transfer finish and report, then say goodbye.
    fn drain(&mut self) -> String {
        if self.running() {
            let _ = self.finish_transfer();
        }
        let _ = self.send(&Reply::new(421, "Server shutting down."));
        "server shutting down".into()
    }

    fn send(&mut self, reply: &Reply) -> io::Result<()> {
        if self.env.config.log_ftp_protocol {
            debug!(
                "session={} > {} {}",
                self.env.sid,
                reply.code,
                reply.lines.last().map(String::as_str).unwrap_or("")
            );
        }
        self.control.reply(reply)
    }

    fn running(&self) -> bool {
        matches!(&self.phase, Phase::LoggedIn(li) if li.running.is_some())
    }

    /// The next command line, or the end of the running transfer.
    fn next_event(&mut self) -> io::Result<Event> {
        if !self.running() || self.control.has_buffered() {
            return self.control.read_line().map(Event::Line);
        }
        let Phase::LoggedIn(li) = &self.phase else { unreachable!("running implies logged in") };
        let done = li.running.as_ref().expect("running").0.done_fd();
        let mut fds = [PollFd::new(self.control.fd(), PollFlags::POLLIN), PollFd::new(done, PollFlags::POLLIN)];
        net::poll(&mut fds, None)?;
        if net::is_ready(&fds[0]) {
            return self.control.read_line().map(Event::Line);
        }
        Ok(Event::TransferDone)
    }

    /// Joins the finished (or aborted) transfer and sends its final reply.
    fn finish_transfer(&mut self) -> io::Result<()> {
        let Phase::LoggedIn(li) = &mut self.phase else {
            return Ok(());
        };
        let reply = handlers::transfer::finish(li, self.env);
        match reply {
            Some(r) => self.send(&r),
            None => Ok(()),
        }
    }

    /// Ends a transfer still running when the session ends (logged as incomplete).
    fn stop_transfer(&mut self) {
        if let Phase::LoggedIn(li) = &mut self.phase {
            if let Some((running, _)) = &li.running {
                running.abort();
            }
            handlers::transfer::finish(li, self.env);
        }
    }

    fn handle(&mut self, bytes: &[u8]) -> Response {
        let sid = self.env.sid;
        if self.env.config.log_ftp_protocol {
            let shown = if bytes.len() >= 4 && bytes[..4].eq_ignore_ascii_case(b"PASS") {
                "PASS <hidden>".into()
            } else {
                String::from_utf8_lossy(bytes)
            };
            debug!("session={sid} < {shown}");
        }
        let cmd = match command::parse(bytes) {
            Ok(c) => c,
            Err(e) => return Response::Reply(parse_error_reply(e)),
        };
        if self.running() {
            match cmd {
                Command::Abor | Command::Stat(None) | Command::Noop => {
                    let Phase::LoggedIn(li) = &mut self.phase else { unreachable!() };
                    return handlers::transfer::during(li, self.env, &mut self.control, &cmd);
                }
                // Anything else waits for the transfer's end, as in a classic
                // server that reads the next command only after the transfer.
                _ => {
                    if let Err(e) = self.finish_transfer() {
                        return Response::Close(Reply::new(421, format!("Control connection error: {e}")));
                    }
                }
            }
        }
        let logged_in = matches!(self.phase, Phase::LoggedIn(_));
        match &cmd {
            Command::Auth(mechanism) => return self.auth(mechanism, logged_in),
            Command::Pbsz(_) | Command::Prot(_) | Command::Ccc => {
                return Response::Reply(security::protection(&mut self.control, &cmd));
            }
            Command::User(name) if !logged_in => {
                if let Some(r) = security::login_refusal(self.env.config, &self.control, name) {
                    return Response::Reply(r);
                }
            }
            _ => {}
        }
        match &mut self.phase {
            Phase::LoggedIn(li) => match handlers::dispatch(li, self.env, &mut self.control, &mut self.options, cmd) {
                handlers::Dispatch::Respond(r) => r,
                handlers::Dispatch::Reinitialize(r) => {
                    self.phase = Phase::AwaitingUser;
                    let deadline = Instant::now() + self.env.config.login_timeout;
                    if self.control.set_deadline(Some(deadline)).is_err() {
                        return Response::Hangup("control socket error".into());
                    }
                    r
                }
            },
            _ => {
                let r = prelogin::handle(&mut self.phase, self.env, &mut self.options, cmd);
                if matches!(self.phase, Phase::LoggedIn(_)) && self.control.set_deadline(None).is_err() {
                    return Response::Hangup("control socket error".into());
                }
                r
            }
        }
    }
}

impl Session<'_> {
    /// AUTH TLS: `234` in plaintext, then the handshake on the same socket.
    fn auth(&mut self, mechanism: &str, logged_in: bool) -> Response {
        let (reply, handshake) = security::auth(self.env.config, &self.control, mechanism, logged_in);
        if !handshake {
            return Response::Reply(reply);
        }
        if let Err(e) = self.send(&reply) {
            return Response::Hangup(format!("control connection error: {e}"));
        }
        match self.start_tls() {
            Ok(()) => Response::Nothing,
            Err(e) => Response::Hangup(format!("TLS handshake failed: {e}")),
        }
    }

    fn start_tls(&mut self) -> io::Result<()> {
        let tls = self.env.shared.tls.as_ref().ok_or_else(|| io::Error::other("TLS is not configured"))?;
        self.control.start_tls(tls.for_session()?)?;
        let (version, suite) = self.control.tls().map(|t| t.describe()).unwrap_or_default();
        info!("session={} client={} TLS {version} {suite}", self.env.sid, self.env.peer.ip());
        Ok(())
    }
}

/// The reply to a line that did not parse.
pub fn parse_error_reply(e: ParseError) -> Reply {
    match e {
        ParseError::Empty => Reply::new(500, "Empty command."),
        ParseError::Unknown(_) => Reply::new(500, "Unknown command."),
        ParseError::BadArgument(why) => Reply::new(501, format!("Syntax error in parameters or arguments: {why}.")),
        ParseError::Unsupported(why) => Reply::new(504, format!("Command not implemented for that parameter: {why}.")),
        ParseError::NotUtf8 => Reply::new(501, "Command is not valid UTF-8."),
    }
}
