//! An append-only log file that can be reopened (after logrotate renames it)
//! without losing a line: writers share one handle under a mutex.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct LogFile {
    path: String,
    file: Arc<Mutex<File>>,
}

fn open(path: &str) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).mode(0o640).open(path)
}

impl LogFile {
    pub(crate) fn open(path: &str) -> io::Result<LogFile> {
        Ok(LogFile { path: path.to_owned(), file: Arc::new(Mutex::new(open(path)?)) })
    }

    /// Opens the path again and swaps the handle (SIGHUP after a rotation).
    pub(crate) fn reopen(&self) -> io::Result<()> {
        let new = open(&self.path)?;
        *self.file.lock().unwrap_or_else(|e| e.into_inner()) = new;
        Ok(())
    }

    /// Appends one line (a newline is added) in a single write.
    pub(crate) fn write_line(&self, line: &str) -> io::Result<()> {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        self.file.lock().unwrap_or_else(|e| e.into_inner()).write_all(&buf)
    }
}

impl LogFile {
    /// Appends `bytes` as they are, in one write (a binary record: wtmp).
    pub(crate) fn append(&self, bytes: &[u8]) -> io::Result<()> {
        self.file.lock().unwrap_or_else(|e| e.into_inner()).write_all(bytes)
    }
}

/// Whether a log file at `path` can be opened for appending: the file is
/// writable, or its directory exists and is; the error says which is not.
pub(crate) fn appendable(path: &std::path::Path) -> Result<(), String> {
    use nix::unistd::{AccessFlags, access};
    if path.exists() {
        return access(path, AccessFlags::W_OK).map_err(|e| format!("not writable ({e})"));
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !dir.is_dir() {
        return Err(format!("directory {} does not exist", dir.display()));
    }
    access(dir, AccessFlags::W_OK | AccessFlags::X_OK)
        .map_err(|e| format!("cannot be created: directory {} is not writable ({e})", dir.display()))
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.lock().unwrap_or_else(|e| e.into_inner()).write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
