//! Commands of logged-in sessions. [`dispatch`] is the command list at a
//! glance: one line per command; each handler is a plain blocking function
//! returning a reply or an [`FtpError`] (turned into a reply in one place,
//! [`FtpError::reply`]).

pub(crate) mod files;
pub(crate) mod listing;
pub(crate) mod navigate;
pub(crate) mod params;
pub(crate) mod site;
pub(crate) mod status;
pub(crate) mod transfer;

use super::command::{Command, TransferType};
use super::control::Control;
use super::data::Pending;
use super::error::{FtpError, FtpResult};
use super::prelogin::info;
use super::reply::{Reply, ReplyCode};
use super::state::{ClientOptions, Conn, Response};
use crate::auth::Identity;
use crate::config::Config;
use crate::config::NamePatterns;
use crate::jail::{Jail, Roots, VirtualPath};
use crate::log::vsftpd::{Event, Line};
use crate::sys::creds::{self, Assumed};
use log::info;
use std::sync::Arc;

/// dirmessage_enable: at most this much of a message file is shown, and
/// this many directories remembered as shown.
const MESSAGE_BYTES: u64 = 4096;
const MESSAGE_LINES: usize = 40;
const MAX_SHOWN_MESSAGES: usize = 256;

/// What `dispatch` asks of the session beyond a response.
pub(crate) enum Dispatch {
    Respond(Response),
    /// REIN: back to the login phase.
    Reinitialize(Response),
}

/// A logged-in session's state.
pub(crate) struct LoggedIn {
    /// The config the session runs with: the server's, or the user's own (user_config_dir).
    pub(crate) config: Arc<Config>,
    pub(crate) identity: Identity,
    pub(crate) jail: Jail,
    /// deny_file: names no command may touch.
    pub(crate) deny: NamePatterns,
    pub(crate) cwd: VirtualPath,
    pub(crate) transfer_type: TransferType,
    /// Set by RNFR; any other command cancels it (taken at dispatch).
    pub(crate) rename_from: Option<VirtualPath>,
    /// Set by REST; used by the next transfer.
    pub(crate) restart: u64,
    /// Set by PASV/EPSV/PORT/EPRT; used by the next transfer.
    pub(crate) data: Option<Pending>,
    /// After `EPSV ALL` only EPSV may set up data connections (RFC 2428 §4).
    pub(crate) epsv_all: bool,
    /// SITE UMASK can change it for this session.
    pub(crate) umask: u32,
    pub(crate) running: Option<(super::helper::Running, transfer::TransferInfo)>,
    /// The thread transfers run in, kept between them.
    pub(crate) helper: super::helper::Helper,
    /// Directories whose message_file was shown (dirmessage_enable: once each).
    shown_messages: Vec<VirtualPath>,
    /// What SIZE in TYPE A has read for this session (see files::size).
    pub(crate) ascii_sizes: files::AsciiSizes,
    /// While the session lasts, this worker thread (and the transfer threads
    /// it starts) reads and writes files as `identity.run_as`; dropped last,
    /// it stays on the worker until a login needs another identity.
    _assumed: Option<Assumed>,
}

impl LoggedIn {
    /// Takes on the identity's account, then opens its root as that account
    /// (so a root the account may not enter is a failed login).
    pub(crate) fn new(identity: Identity, roots: &Roots, config: Arc<Config>) -> std::io::Result<LoggedIn> {
        // Left on the worker after the session: the next login as the same
        // account (typically anonymous after anonymous) then switches nothing.
        // A session with no account of its own runs with the worker's rights.
        let assumed = match &identity.run_as {
            Some(r) => Some(creds::assume(&r.id)?.lingering()),
            None => {
                creds::unpark();
                None
            }
        };
        let jail = roots.open(&identity.root)?;
        let cwd = VirtualPath::root().resolve(&identity.start).unwrap_or_else(|_| VirtualPath::root());
        Ok(LoggedIn {
            deny: config.deny_file.clone(),
            config,
            shown_messages: Vec::new(),
            ascii_sizes: files::AsciiSizes::default(),
            umask: identity.umask,
            identity,
            jail,
            cwd,
            transfer_type: TransferType::Ascii,
            rename_from: None,
            restart: 0,
            data: None,
            epsv_all: false,
            running: None,
            helper: Default::default(),
            _assumed: assumed,
        })
    }

    /// Resolves client text against the current directory (no I/O); a path
    /// with a deny_file name in it is refused like a missing permission.
    /// `~` is the login directory, and with tilde_user_enable `~name` is
    /// name's home where the session can see it.
    pub(crate) fn path(&self, text: &str) -> Result<VirtualPath, FtpError> {
        let path = match self.tilde(text) {
            Some(expanded) => VirtualPath::root().resolve(&expanded)?,
            None => self.cwd.resolve(text)?,
        };
        require(!self.deny.matches_path(path.as_str()))?;
        Ok(path)
    }

    /// `~`, `~/rest`, `~name/rest` as a path from the root; `None` for other text.
    fn tilde(&self, text: &str) -> Option<String> {
        let rest = text.strip_prefix('~')?;
        let (name, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let home = match name {
            "" => self.identity.start.clone(),
            // Only a session that sees the whole file system sees other homes.
            name if self.config.tilde_user_enable && self.identity.root == std::path::Path::new("/") => {
                nix::unistd::User::from_name(name).ok().flatten()?.dir.to_string_lossy().into_owned()
            }
            _ => return None,
        };
        Some(format!("{home}/{tail}"))
    }

    /// The message_file of `dir`, the first time the session enters it
    /// (dirmessage_enable); empty otherwise. Bounded in lines and bytes.
    pub(crate) fn enter_message(&mut self, dir: &VirtualPath) -> Vec<String> {
        if !self.config.dirmessage_enable || self.shown_messages.contains(dir) {
            return Vec::new();
        }
        if self.shown_messages.len() < MAX_SHOWN_MESSAGES {
            self.shown_messages.push(dir.clone());
        }
        let Ok(mut file) = self.jail.open_read(&dir.join(&self.config.message_file)) else {
            return Vec::new();
        };
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::Read::take(&mut file, MESSAGE_BYTES), &mut text);
        text.lines().take(MESSAGE_LINES).map(|l| crate::log::printable(l).into_owned()).collect()
    }

    /// Whether cmds_allowed and cmds_denied let the command through; `raw`
    /// is the verb as sent (XPWD), `cmd` knows its usual name (PWD).
    pub(crate) fn command_allowed(&self, raw: &str, cmd: &Command) -> bool {
        let listed = |list: &str| {
            list.split(',').map(str::trim).any(|v| v.eq_ignore_ascii_case(raw) || v.eq_ignore_ascii_case(cmd.verb()))
        };
        let allowed = self.config.cmds_allowed.is_empty() || listed(&self.config.cmds_allowed);
        let denied = !self.config.cmds_denied.is_empty() && listed(&self.config.cmds_denied);
        allowed && !denied
    }
}

/// Keeps REST across the commands clients send between it and the transfer.
fn keeps_restart(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Rest(_)
            | Command::Pasv
            | Command::Epsv(_)
            | Command::Port(_)
            | Command::Eprt(_)
            | Command::Type(_)
            | Command::Noop
    )
}

/// Runs one command of a logged-in session.
pub(crate) fn dispatch(
    s: &mut LoggedIn,
    conn: &Conn<'_>,
    control: &mut Control,
    options: &mut ClientOptions,
    cmd: Command,
) -> Dispatch {
    // One-shot state: RNFR lives for exactly one command, REST until a transfer.
    let rename_from = s.rename_from.take();
    let restart = if keeps_restart(&cmd) { s.restart } else { std::mem::take(&mut s.restart) };
    let failed = failure_text(&cmd);
    let audit = audit_text(&s.cwd, &cmd, rename_from.as_ref());
    use Command::*;
    let result: Result<Response, FtpError> = match cmd {
        Quit => return Dispatch::Respond(Response::Close(Reply::new(ReplyCode::GOODBYE, "Goodbye."))),
        Rein => {
            let ready = Reply::new(ReplyCode::SERVICE_READY, "Service ready for new user.");
            return Dispatch::Reinitialize(Response::Reply(ready));
        }
        // Commands that may start a transfer answer for themselves.
        Retr(p) => transfer::retr(s, conn, control, restart, &p),
        Stor(p) => transfer::stor(s, conn, control, restart, &p),
        Appe(p) => transfer::appe(s, conn, control, &p),
        Stou(p) => transfer::stou(s, conn, control, p.as_deref()),
        List(p) => listing::list(s, conn, control, p.as_deref()),
        Nlst(p) => listing::nlst(s, conn, control, p.as_deref()),
        Mlsd(p) => listing::mlsd(s, conn, control, options, p.as_deref()),
        other => reply_to(s, conn, options, other, rename_from).map(Response::Reply),
    };
    let response = result.unwrap_or_else(|e| Response::Reply(e.reply(failed)));
    if let (Some((what, event)), Response::Reply(r)) = (audit, &response) {
        let result = if r.is_ok() { "ok".to_string() } else { r.summary() };
        info!("session={} client={} user={} {what} result={result}", conn.sid, conn.peer.ip(), s.identity.name);
        if let Some((event, path)) = event {
            let line =
                Line { user: Some(&s.identity.name), path: Some(&path), ..Line::new(event, conn.peer.ip(), r.is_ok()) };
            conn.server.vsftpd_log(line);
        }
    }
    Dispatch::Respond(response)
}

/// The log text for commands that touch the file system, logged with their
/// result; and vsftpd's log event for those it records. Transfers that
/// start log themselves when they end; refused ones are logged here.
fn audit_text(
    cwd: &VirtualPath,
    cmd: &Command,
    rename_from: Option<&VirtualPath>,
) -> Option<(String, Option<(Event, String)>)> {
    use Command::*;
    let p = |text: &str| cwd.resolve(text).map(|v| v.to_string()).unwrap_or_else(|_| text.to_owned());
    let from = || rename_from.map(VirtualPath::as_str).unwrap_or("-").to_owned();
    let logged = |what: String, event: Event, path: String| Some((what, Some((event, path))));
    match cmd {
        Mkd(text) => logged(format!("MKD {}", p(text)), Event::Mkdir, p(text)),
        Rmd(text) => logged(format!("RMD {}", p(text)), Event::Rmdir, p(text)),
        Dele(text) => logged(format!("DELE {}", p(text)), Event::Delete, p(text)),
        Rnto(text) => {
            logged(format!("RNFR {} RNTO {}", from(), p(text)), Event::Rename, format!("{} {}", from(), p(text)))
        }
        Site(arg) if arg.to_ascii_uppercase().starts_with("CHMOD") => {
            let path = arg.splitn(3, ' ').nth(2).map(p).unwrap_or_default();
            logged(format!("SITE {arg}"), Event::Chmod, path)
        }
        Site(arg) => Some((format!("SITE {arg}"), None)),
        Mfmt(t, text) => Some((format!("MFMT {t} {}", p(text)), None)),
        Rnfr(text) => Some((format!("RNFR {}", p(text)), None)),
        Retr(text) => Some((format!("RETR {}", p(text)), None)),
        Stor(text) => Some((format!("STOR {}", p(text)), None)),
        Appe(text) => Some((format!("APPE {}", p(text)), None)),
        Stou(text) => Some((format!("STOU {}", p(text.as_deref().unwrap_or("file"))), None)),
        _ => None,
    }
}

/// Commands answered with one reply. The TLS commands (AUTH, PBSZ, PROT,
/// CCC) never get here: the session answers them in either phase.
fn reply_to(
    s: &mut LoggedIn,
    conn: &Conn<'_>,
    options: &mut ClientOptions,
    cmd: Command,
    rename_from: Option<VirtualPath>,
) -> FtpResult {
    use Command::*;
    match cmd {
        User(_) => Err(FtpError::UserChangeRefused),
        Pass(_) => Ok(Reply::new(ReplyCode::LOGGED_IN, "Already logged in.")),
        Acct => Ok(Reply::new(ReplyCode::SUPERFLUOUS, "ACCT not needed.")),
        Noop => Ok(info::noop()),
        Syst => Ok(info::syst()),
        Help(_) => Ok(info::help()),
        Feat => Ok(info::feat(options, conn.config)),
        Opts(arg) => info::opts(options, &arg),
        Stat(None) => Ok(status::status(s, conn)),
        Stat(Some(p)) => listing::stat_path(s, conn, &p),
        Mlst(p) => listing::mlst(s, conn, options, p.as_deref()),
        Pwd => Ok(navigate::pwd(s)),
        Cwd(p) => navigate::cwd(s, &p),
        Cdup => navigate::cwd(s, ".."),
        Mkd(p) => files::mkd(s, &p),
        Rmd(p) => files::rmd(s, &p),
        Dele(p) => files::dele(s, &p),
        Rnfr(p) => files::rnfr(s, &p),
        Rnto(p) => files::rnto(s, rename_from, &p),
        Size(p) => files::size(s, &p),
        Mdtm(p) => files::mdtm(s, &p),
        Mfmt(t, p) => files::mfmt(s, t, &p),
        Type(t) => Ok(params::type_(s, t)),
        Stru => Ok(Reply::new(ReplyCode::OK, "Structure set to F.")),
        Mode => Ok(Reply::new(ReplyCode::OK, "Mode set to S.")),
        Port(addr) => params::port(s, conn, addr),
        Eprt(arg) => params::eprt(s, conn, arg),
        Pasv => params::pasv(s, conn),
        Epsv(arg) => params::epsv(s, conn, arg),
        Rest(n) => {
            s.restart = n;
            Ok(Reply::new(ReplyCode::PENDING, format!("Restart position accepted ({n}).")))
        }
        Allo => Ok(Reply::new(ReplyCode::SUPERFLUOUS, "ALLO command ignored.")),
        Abor => Ok(Reply::new(ReplyCode::NO_TRANSFER, "No transfer to ABOR.")),
        Site(arg) => site::site(s, &arg),
        NotImplemented(_) => Err(FtpError::NotImplemented),
        // Answered by dispatch (transfers, QUIT, REIN) or by the session (TLS):
        // reaching here is a routing mistake, answered as an unknown command.
        Quit | Rein | Retr(_) | Stor(_) | Appe(_) | Stou(_) | List(_) | Nlst(_) | Mlsd(_) | Auth(_) | Pbsz(_)
        | Prot(_) | Ccc => Err(FtpError::Parse(super::command::ParseError::Unknown(cmd.verb().into()))),
    }
}

/// The start of a failure reply, vsftpd style ("Failed to change directory: …").
fn failure_text(cmd: &Command) -> &'static str {
    use Command::*;
    match cmd {
        Cwd(_) | Cdup => "Failed to change directory",
        Mkd(_) => "Create directory operation failed",
        Rmd(_) => "Remove directory operation failed",
        Dele(_) => "Delete operation failed",
        Rnfr(_) | Rnto(_) => "Rename failed",
        Size(_) => "Could not get file size",
        Mdtm(_) => "Could not get modification time",
        Mfmt(..) => "Could not set modification time",
        Retr(_) => "Failed to open file",
        Stor(_) | Appe(_) | Stou(_) => "Could not create file",
        List(_) | Nlst(_) | Mlsd(_) | Mlst(_) | Stat(_) => "Could not list",
        Site(_) => "SITE command failed",
        _ => "Operation failed",
    }
}

/// Fails unless the session's write policy allows it.
pub(crate) fn require(allowed: bool) -> Result<(), FtpError> {
    if allowed { Ok(()) } else { Err(FtpError::NotPermitted) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit line of each command that touches the file system, with its
    /// path resolved from the current directory, and vsftpd's event where
    /// vsftpd logs one.
    #[test]
    fn audit_text_names_each_command_and_its_full_path() {
        let cwd = VirtualPath::root().resolve("/d").unwrap();
        let from = VirtualPath::root().resolve("/d/old").unwrap();
        let text = |cmd: Command| audit_text(&cwd, &cmd, Some(&from));
        let event = |what: &str, e: Event, path: &str| Some((what.to_owned(), Some((e, path.to_owned()))));
        let plain = |what: &str| Some((what.to_owned(), None));
        let s = |t: &str| t.to_owned();
        assert_eq!(text(Command::Mkd(s("n"))), event("MKD /d/n", Event::Mkdir, "/d/n"));
        assert_eq!(text(Command::Rmd(s("n"))), event("RMD /d/n", Event::Rmdir, "/d/n"));
        assert_eq!(text(Command::Dele(s("f"))), event("DELE /d/f", Event::Delete, "/d/f"));
        assert_eq!(text(Command::Rnto(s("new"))), event("RNFR /d/old RNTO /d/new", Event::Rename, "/d/old /d/new"));
        assert_eq!(text(Command::Site(s("chmod 644 f"))), event("SITE chmod 644 f", Event::Chmod, "/d/f"));
        assert_eq!(text(Command::Site(s("UMASK 022"))), plain("SITE UMASK 022"));
        assert_eq!(text(Command::Mfmt(20260102030405, s("f"))), plain("MFMT 20260102030405 /d/f"));
        assert_eq!(text(Command::Rnfr(s("old"))), plain("RNFR /d/old"));
        assert_eq!(text(Command::Retr(s("f"))), plain("RETR /d/f"));
        assert_eq!(text(Command::Stor(s("/f"))), plain("STOR /f"));
        assert_eq!(text(Command::Appe(s("f"))), plain("APPE /d/f"));
        assert_eq!(text(Command::Stou(None)), plain("STOU /d/file"));
        assert_eq!(text(Command::Stou(Some(s("u")))), plain("STOU /d/u"));
        assert_eq!(text(Command::Noop), None);
        // RNTO without a pending RNFR names the source "-".
        assert_eq!(audit_text(&cwd, &Command::Rnto(s("x")), None).unwrap().0, "RNFR - RNTO /d/x");
    }
}
