//! The command loop of one control connection: read → parse → dispatch by
//! phase → reply. Before login commands go to [`prelogin`], after it to
//! [`postlogin`]. A parse error or a failed command never ends the session;
//! only QUIT, the idle timeout, too many failed logins or the client
//! leaving do.

use super::admit::{self, Admission, PreLoginSlots};
use super::command::{self, Command};
use super::control::{Control, Line};
use super::data::{DataPeer, Pending};
use super::error::FtpError;
use super::postlogin::{self, Dispatch, LoggedIn};
use super::prelogin::{self, PreLogin, security};
use super::reply::{Reply, ReplyCode};
use super::server::Server;
use super::sessions::Seen;
use super::state::{ClientOptions, Conn, Response};
use crate::config::Config;
use crate::log::vsftpd;
use crate::proxy;
use crate::sys::utmp::Record;
use crate::sys::{self, net};
use log::{debug, info, warn};
use nix::poll::{PollFd, PollFlags};
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

/// Whether the session has logged in. Only `LoggedIn` holds a jail.
enum Phase {
    Pre,
    LoggedIn(Box<LoggedIn>),
}

fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// Runs one whole session on an accepted control connection. `admitted`
/// holds its places under the per-address limits (the places among those
/// not logged in are given back at login); from a trusted balancer, the
/// PROXY header is read first and the real client admitted.
pub(crate) fn serve(stream: TcpStream, sid: u64, server: &Server, admitted: Admission) {
    let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
        return;
    };
    let (peer, local) = (canonical(peer), canonical(local));
    let config = server.config.clone();
    let (peer, mut admitted) = match admitted {
        Admission::Direct(a) => (peer, Some(a)),
        Admission::Inetd => (peer, None),
        Admission::Proxied => match proxy::read_header(&stream) {
            Ok(proxy::Header::Proxied { client, .. }) => {
                let client = canonical(client);
                debug!("session={sid} client={} through balancer {}", client.ip(), peer.ip());
                match admit::admit(&server.registry, &config, client.ip(), sid) {
                    Ok(a) => (client, Some(a)),
                    Err(why) => return admit::refuse(stream, why.reply()),
                }
            }
            // The balancer's health check: nothing to log at info.
            Ok(proxy::Header::Local) => {
                crate::metrics::FTP.proxy_health_checks.inc();
                debug!("session={sid} balancer {} health check (PROXY LOCAL)", peer.ip());
                return;
            }
            Err(e) => {
                warn!("session={sid} balancer={} {e}: closed", peer.ip());
                return;
            }
        },
    };
    let prelogin = admitted.as_mut().and_then(|a| a.prelogin.take());
    let worker_name = std::thread::current().name().unwrap_or("worker").to_owned();
    let seen = Arc::new(Seen::new(peer.ip()));
    let conn = Conn { config: &config, server, peer, local, sid, seen: &seen };
    info!("session={sid} client={} connected", peer.ip());
    server.vsftpd_log(vsftpd::Line::new(vsftpd::Event::Connect, peer.ip(), true));
    let setup = net::tune_control(&stream)
        .and_then(|()| stream.set_read_timeout(Some(config.idle_session_timeout)))
        .and_then(|()| stream.set_write_timeout(Some(config.idle_session_timeout)));
    if let Err(e) = setup {
        warn!("session={sid} client={} control socket set-up failed: {e}", peer.ip());
        return;
    }
    let stream = Arc::new(stream);
    let Some(_registration) = server.registry.register(sid, &stream, &seen) else {
        let bye = Reply::new(ReplyCode::SERVICE_UNAVAILABLE, "Server shutting down.");
        let _ = Control::new(stream, config.idle_session_timeout).reply(&bye);
        return;
    };
    let mut control = Control::new(stream, config.idle_session_timeout);
    if control.set_deadline(Some(Instant::now() + config.login_timeout)).is_err() {
        return;
    }
    let mut session = Session {
        conn: &conn,
        control,
        phase: Phase::Pre,
        pre: PreLogin::default(),
        options: ClientOptions::default(),
        prelogin,
    };
    if config.setproctitle_enable {
        sys::set_thread_name(&format!("ftp {}", peer.ip()));
    }
    let m = &crate::metrics::FTP;
    m.sessions_active.inc();
    let end = session.run();
    session.stop_transfer();
    session.logged_out();
    m.sessions_active.dec();
    m.sessions_ended[ended_by(&end) as usize].inc();
    if config.setproctitle_enable {
        sys::set_thread_name(&worker_name);
    }
    info!("session={sid} client={} closed: {end}", peer.ip());
}

struct Session<'a> {
    conn: &'a Conn<'a>,
    control: Control,
    phase: Phase,
    pre: PreLogin,
    options: ClientOptions,
    /// Given back at login (see [`PreLoginSlots`]).
    prelogin: Option<PreLoginSlots>,
}

/// What the session is waiting on while a transfer runs.
enum Event {
    Line(Option<Line>),
    TransferDone,
}

impl Session<'_> {
    /// The command loop; returns why the session ended, for the log.
    fn run(&mut self) -> String {
        if self.conn.config.implicit_ssl
            && let Err(e) = security::start_tls(self.conn, &mut self.control)
        {
            return if self.control.deadline_passed() {
                "login timeout".into()
            } else {
                format!("TLS handshake failed: {e}")
            };
        }
        let banner = match self.conn.server.banner.as_deref() {
            Some([first, rest @ ..]) => Reply::multi(ReplyCode::SERVICE_READY, first.clone(), rest.to_vec(), ""),
            _ => Reply::new(ReplyCode::SERVICE_READY, self.conn.config.ftpd_banner.clone()),
        };
        if let Err(e) = self.send(&banner) {
            return format!("greeting failed: {e}");
        }
        loop {
            let event = match self.next_event() {
                Ok(ev) => ev,
                Err(e) if self.control.deadline_passed() => {
                    let _ = self.send(&Reply::new(ReplyCode::SERVICE_UNAVAILABLE, "Login timed out."));
                    return format!("login timeout ({e})");
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    let _ = self.send(&Reply::new(ReplyCode::SERVICE_UNAVAILABLE, "Timeout."));
                    return "idle timeout".into();
                }
                Err(e) => return format!("control connection error: {e}"),
            };
            let response = match event {
                Event::TransferDone => {
                    if let Err(e) = self.finish_transfer() {
                        return format!("control connection error: {e}");
                    }
                    continue;
                }
                Event::Line(None) if self.conn.seen.kicked() => return self.kicked(),
                Event::Line(None) if self.conn.server.registry.draining() => return self.drain(),
                Event::Line(None) => return "client closed the connection".into(),
                Event::Line(Some(Line::TooLong)) => {
                    warn!("session={} client={} command line too long", self.conn.sid, self.conn.peer.ip());
                    Response::Reply(FtpError::LineTooLong.reply(""))
                }
                Event::Line(Some(Line::Command(bytes))) => self.handle(&bytes),
            };
            let result = match response {
                Response::Reply(r) => self.send(&r),
                Response::Started | Response::Nothing => Ok(()),
                Response::Hangup(why) => return why,
                Response::Close(r) => {
                    let _ = self.send(&r);
                    return r.summary();
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
        let _ = self.send(&Reply::new(ReplyCode::SERVICE_UNAVAILABLE, "Server shutting down."));
        "server shutting down".into()
    }

    /// `rftpd kick`: a running transfer is aborted (and answered), then 421.
    fn kicked(&mut self) -> String {
        if self.running() {
            self.logged_in(|li, _, _, _| {
                if let Some((running, _)) = &li.running {
                    running.abort();
                }
            });
            let _ = self.finish_transfer();
        }
        let _ = self.send(&Reply::new(ReplyCode::SERVICE_UNAVAILABLE, "Disconnected by the administrator."));
        "kicked by the administrator".into()
    }

    fn send(&mut self, reply: &Reply) -> io::Result<()> {
        if self.conn.config.log_ftp_protocol {
            let last = reply.lines.last().map(String::as_str).unwrap_or("");
            debug!("session={} > {} {last}", self.conn.sid, reply.code);
        }
        self.control.reply(reply)
    }

    fn running(&self) -> bool {
        matches!(&self.phase, Phase::LoggedIn(li) if li.running.is_some())
    }

    /// The next command line, or the end of the running transfer. While a
    /// passive port waits for the transfer command, what connects to it is
    /// taken at once (see `PassiveListener::take_waiting`).
    fn next_event(&mut self) -> io::Result<Event> {
        while let Some(ready) = self.wait_for_passive()? {
            if ready {
                let who = DataPeer::of(self.conn.peer.ip(), self.conn.config);
                if let Phase::LoggedIn(li) = &mut self.phase
                    && let Some(Pending::Passive(l)) = &mut li.data
                {
                    l.take_waiting(who);
                }
            } else {
                break;
            }
        }
        let done = match &self.phase {
            Phase::LoggedIn(li) if !self.control.has_buffered() => li.running.as_ref().map(|(r, _)| r.done_fd()),
            _ => None,
        };
        let Some(done) = done else {
            return self.control.read_line().map(Event::Line);
        };
        let mut fds = [PollFd::new(self.control.fd(), PollFlags::POLLIN), PollFd::new(done, PollFlags::POLLIN)];
        net::poll(&mut fds, None)?;
        if net::is_ready(&fds[0]) {
            return self.control.read_line().map(Event::Line);
        }
        Ok(Event::TransferDone)
    }

    /// With no transfer running and a passive port waiting for its client:
    /// waits (up to the idle timeout) for a command or a connection.
    /// `Some(true)`: something connected; `Some(false)`: a command is there;
    /// `None`: there is no such port to watch.
    fn wait_for_passive(&mut self) -> io::Result<Option<bool>> {
        let idle = self.control.idle_timeout();
        if self.control.has_buffered() {
            return Ok(None);
        }
        let Phase::LoggedIn(li) = &self.phase else { return Ok(None) };
        let Some(Pending::Passive(l)) = li.data.as_ref().filter(|_| li.running.is_none()) else { return Ok(None) };
        let Some(listener) = l.waiting_fd() else { return Ok(None) };
        let mut fds = [PollFd::new(self.control.fd(), PollFlags::POLLIN), PollFd::new(listener, PollFlags::POLLIN)];
        if net::poll(&mut fds, Some(idle))? == 0 {
            return Err(io::Error::from(io::ErrorKind::TimedOut));
        }
        Ok(Some(!net::is_ready(&fds[0])))
    }

    /// The end of a login (session end or REIN): its wtmp record.
    fn logged_out(&mut self) {
        if let Phase::LoggedIn(li) = &self.phase {
            self.conn.server.wtmp(Record::Logout, self.conn.sid, &li.identity.name, self.conn.peer.ip());
        }
    }

    /// Runs `f` on the logged-in state, with the connection under the
    /// session's own config; `None` before login.
    fn logged_in<T>(
        &mut self,
        f: impl FnOnce(&mut LoggedIn, &Conn<'_>, &mut Control, &mut ClientOptions) -> T,
    ) -> Option<T> {
        let Phase::LoggedIn(li) = &mut self.phase else { return None };
        let config = li.config.clone();
        let conn = self.conn.with_config(&config);
        Some(f(li, &conn, &mut self.control, &mut self.options))
    }

    /// Joins the finished (or aborted) transfer and sends its final reply.
    fn finish_transfer(&mut self) -> io::Result<()> {
        match self.logged_in(|li, conn, _, _| postlogin::transfer::finish(li, conn)).flatten() {
            Some(r) => self.send(&r),
            None => Ok(()),
        }
    }

    /// Ends a transfer still running when the session ends (logged as incomplete).
    fn stop_transfer(&mut self) {
        self.logged_in(|li, conn, _, _| {
            if let Some((running, _)) = &li.running {
                running.abort();
            }
            postlogin::transfer::finish(li, conn);
        });
    }

    fn handle(&mut self, bytes: &[u8]) -> Response {
        let conn = self.conn;
        let shown = if bytes.len() >= 4 && bytes[..4].eq_ignore_ascii_case(b"PASS") {
            "PASS <hidden>".into()
        } else {
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        };
        // While a transfer runs, the session shows that transfer's command.
        if !self.running() {
            conn.seen.command(&crate::log::printable(&shown));
        }
        if conn.config.log_ftp_protocol {
            debug!("session={} < {shown}", conn.sid);
        }
        let cmd = match command::parse(bytes) {
            Ok(c) => c,
            Err(e) => return Response::Reply(FtpError::from(e).reply("")),
        };
        if let Phase::LoggedIn(li) = &self.phase
            && !li.command_allowed(&raw_verb(bytes), &cmd)
        {
            return Response::Reply(FtpError::NotPermitted.reply(""));
        }
        if self.running() {
            match cmd {
                Command::Abor | Command::Stat(None) | Command::Noop => {
                    let during = |li: &mut LoggedIn, conn: &Conn<'_>, control: &mut Control, _: &mut ClientOptions| {
                        postlogin::transfer::during(li, conn, control, &cmd)
                    };
                    return self.logged_in(during).unwrap_or(Response::Nothing);
                }
                // Anything else waits for the transfer's end, as in a classic
                // server that reads the next command only after the transfer.
                _ => {
                    if let Err(e) = self.finish_transfer() {
                        let text = format!("Control connection error: {e}");
                        return Response::Close(Reply::new(ReplyCode::SERVICE_UNAVAILABLE, text));
                    }
                }
            }
        }
        let phase = match self.phase {
            Phase::Pre => security::Phase::BeforeLogin,
            Phase::LoggedIn(_) => security::Phase::LoggedIn,
        };
        // The TLS commands work the same before and after login.
        match &cmd {
            Command::Auth(mechanism) => return security::auth(conn, &mut self.control, mechanism, phase),
            Command::Pbsz(_) | Command::Prot(_) | Command::Ccc => {
                return Response::Reply(security::protection(&mut self.control, &cmd));
            }
            _ => {}
        }
        if matches!(self.phase, Phase::Pre) {
            return self.before_login(cmd);
        }
        let dispatched =
            self.logged_in(|li, conn, control, options| postlogin::dispatch(li, conn, control, options, cmd));
        match dispatched {
            None => Response::Nothing,
            Some(Dispatch::Respond(r)) => r,
            Some(Dispatch::Reinitialize(r)) => {
                self.logged_out();
                conn.seen.logged_out();
                self.phase = Phase::Pre;
                let deadline = Instant::now() + conn.config.login_timeout;
                if self.control.set_deadline(Some(deadline)).is_err() {
                    return Response::Hangup("control socket error".into());
                }
                r
            }
        }
    }

    /// A command before login; a successful PASS opens the session's root.
    fn before_login(&mut self, cmd: Command) -> Response {
        let conn = self.conn;
        let mut entered: Option<Box<LoggedIn>> = None;
        let mut enter = |id, config: Arc<Config>| -> io::Result<Vec<String>> {
            let mut li = Box::new(LoggedIn::new(id, &conn.server.roots, config)?);
            let message = li.enter_message(&li.cwd.clone());
            entered = Some(li);
            Ok(message)
        };
        let r = prelogin::handle(&mut self.pre, conn, &self.control, &mut self.options, cmd, &mut enter);
        if let Some(li) = entered {
            conn.server.wtmp(Record::Login, conn.sid, &li.identity.name, conn.peer.ip());
            if li.config.setproctitle_enable {
                sys::set_thread_name(&format!("ftp {}", li.identity.name));
            }
            conn.seen.logged_in(&li.identity.name);
            self.phase = Phase::LoggedIn(li);
            self.prelogin = None;
            if self.control.set_deadline(None).is_err() {
                return Response::Hangup("control socket error".into());
            }
        }
        r
    }
}

/// How a session ended, from the reason its loop gave.
fn ended_by(reason: &str) -> crate::metrics::SessionEnd {
    use crate::metrics::SessionEnd;
    if reason.contains("timeout") || reason.contains("timed out") {
        SessionEnd::Timeout
    } else if reason.contains("shutting down") {
        SessionEnd::Shutdown
    } else if reason == "client closed the connection" {
        SessionEnd::ClientClosed
    } else if reason.starts_with("221") {
        SessionEnd::Quit
    } else {
        SessionEnd::Error
    }
}

/// The verb of a command line as the client sent it, upper-cased (XPWD stays XPWD).
fn raw_verb(line: &[u8]) -> String {
    let line = line.trim_ascii_start();
    let end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    String::from_utf8_lossy(&line[..end]).to_ascii_uppercase()
}
