//! `pid_file`: the daemon's process id, for scripts (logrotate's
//! postrotate) that must signal this daemon and no other process on the
//! host. Written once the listeners are bound; removed at a clean exit
//! if it still names this process.

use std::io::{self, Write};
use std::path::PathBuf;

/// The written pid file; dropping it removes the file.
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes the process id to `path` (atomically: a reader sees the old
    /// file or the whole new one). An empty `path` means no pid file.
    pub fn create(path: &str) -> io::Result<Option<PidFile>> {
        if path.is_empty() {
            return Ok(None);
        }
        let path = PathBuf::from(path);
        let err = |e: io::Error| io::Error::new(e.kind(), format!("pid_file {}: {e}", path.display()));
        let staging = path.with_extension(format!("{}.tmp", std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staging)
            .and_then(|mut f| {
                use std::os::unix::fs::PermissionsExt;
                f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
                writeln!(f, "{}", std::process::id())
            })
            .and_then(|()| std::fs::rename(&staging, &path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&staging);
            return Err(err(e));
        }
        Ok(Some(PidFile { path }))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let ours = std::fs::read_to_string(&self.path).is_ok_and(|t| t.trim() == std::process::id().to_string());
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_pid_and_removes_it_when_dropped() {
        let dir = std::env::temp_dir().join(format!("rftpd-pidfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.pid");
        let pid = PidFile::create(path.to_str().unwrap()).unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{}\n", std::process::id()));
        drop(pid);
        assert!(!path.exists());
        assert!(PidFile::create("").unwrap().is_none());
        assert!(PidFile::create(dir.join("missing/x.pid").to_str().unwrap()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
