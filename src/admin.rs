//! Administrative subcommands: `rftpd passwd` (manage the virtual users
//! file) and `rftpd demo` (a ready-to-try server that needs no root).

use crate::auth::{hash, users};
use std::fs;
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

crate::text_error! {
    /// Why an administrative subcommand failed, for the admin.
    AdminError
}

/// Reads a password from standard input: twice, without echo, on a terminal;
/// the first line otherwise.
fn read_password() -> Result<String, AdminError> {
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(|e| AdminError(e.to_string()))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let ask = |prompt: &str| -> Result<String, AdminError> {
        use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
        eprint!("{prompt}");
        let saved = tcgetattr(&stdin).map_err(|e| AdminError(e.to_string()))?;
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        tcsetattr(&stdin, SetArg::TCSANOW, &quiet).map_err(|e| AdminError(e.to_string()))?;
        let mut line = String::new();
        let read = stdin.lock().read_line(&mut line);
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, &saved);
        eprintln!();
        read.map_err(|e| AdminError(e.to_string()))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    };
    let first = ask("Password: ")?;
    if ask("Again: ")? != first {
        return Err("the passwords differ".into());
    }
    Ok(first)
}

/// Writes `text` to `path` through a temporary file and a rename, keeping
/// the old file's permissions (0600 for a new file).
fn replace_file(path: &str, text: &str) -> io::Result<()> {
    let mode = fs::metadata(path).map(|m| m.permissions().mode() & 0o7777).unwrap_or(0o600);
    let tmp = format!("{path}.rftpd-tmp");
    {
        let mut f = fs::File::create(&tmp)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

/// `rftpd passwd`: add or update one user.
pub fn passwd(file: &str, home: Option<&str>, perm: Option<&str>, name: &str) -> Result<(), AdminError> {
    let text = match fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(AdminError(format!("{file}: {e}"))),
    };
    let password = read_password()?;
    if password.is_empty() {
        return Err("empty password refused".into());
    }
    let hash = hash::hash_sha512(&password).map_err(|e| AdminError(e.to_string()))?;
    let new = users::upsert(&text, name, &hash, home, perm)?;
    replace_file(file, &new).map_err(|e| AdminError(format!("{file}: {e}")))?;
    eprintln!("rftpd: user {name} saved in {file}");
    Ok(())
}

fn random_password() -> io::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 12];
    fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}

/// What `rftpd demo` set up.
pub struct Demo {
    pub overrides: Vec<String>,
    pub banner: String,
}

/// Creates the demo tree under `dir` (a public directory, a user home and a
/// users file with a fresh password) and returns the config overrides.
pub fn demo(dir: &str, extra: &[String]) -> Result<Demo, AdminError> {
    let root = std::path::absolute(Path::new(dir)).map_err(|e| AdminError(e.to_string()))?;
    let err = |e: io::Error| AdminError(format!("{}: {e}", root.display()));
    let public = root.join("pub");
    let home = root.join("home/demo");
    fs::create_dir_all(&public).map_err(err)?;
    fs::create_dir_all(&home).map_err(err)?;
    fs::write(public.join("README.txt"), "Welcome to the rftpd demo.\nAnonymous users can read this directory.\n")
        .map_err(err)?;
    let sample: Vec<u8> = (0..65_536u32).map(|i| (i * 31 % 251) as u8).collect();
    fs::write(public.join("sample.bin"), sample).map_err(err)?;
    let password = random_password().map_err(err)?;
    let hash = hash::hash_sha512(&password).map_err(err)?;
    let users = root.join("rftpd.users");
    let users_text = format!("# rftpd demo users (made by `rftpd demo`)\ndemo:{hash}:{}:rw\n", home.display());
    replace_file(&users.to_string_lossy(), &users_text).map_err(err)?;
    let mut overrides = vec![
        "listen_address=127.0.0.1".to_string(),
        "listen_port=2121".into(),
        "anonymous_enable=YES".into(),
        format!("anon_root={}", public.display()),
        "write_enable=YES".into(),
        "local_umask=022".into(),
        "log_file=".into(),
        format!("control_socket={}", root.join("control.sock").display()),
        format!("user_file={}", users.display()),
        // The demo tree belongs to whoever runs the demo, root included:
        // sessions use that account rather than 'ftp'.
        "ftp_username=".into(),
        "guest_username=".into(),
    ];
    overrides.extend(extra.iter().cloned());
    let port = overrides.iter().rev().find_map(|o| o.strip_prefix("listen_port=")).unwrap_or("2121").to_owned();
    let banner = format!(
        "rftpd demo server on ftp://127.0.0.1:{port}/ (stop it with Ctrl-C)\n  \
         anonymous, read-only:  {public}\n  \
         user demo, password {password}, read-write:  {home}\n\
         Try:\n  \
         curl ftp://127.0.0.1:{port}/\n  \
         curl -u demo:{password} -T Cargo.toml ftp://127.0.0.1:{port}/\n  \
         lftp -u demo,{password} -p {port} 127.0.0.1",
        public = public.display(),
        home = home.display()
    );
    Ok(Demo { overrides, banner })
}
