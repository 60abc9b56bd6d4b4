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

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.lock().unwrap_or_else(|e| e.into_inner()).write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
