//! The transfer helper thread: moves bytes between a file (or a prepared
//! listing) and the data connection, so the session keeps reading the control
//! connection for ABOR, STAT and NOOP. Ends by returning a [`TransferReport`].

use super::command::TransferType;
use super::memory::Listing;
use crate::ascii;
use crate::jail::Upload;
use crate::limits::{COPY_BUFFER, DATA_UNSENT_LIMIT, HELPER_IDLE, INLINE_SEND, SENDFILE_CHUNK, THREAD_STACK};
use crate::tls::{ServerConnection, SessionConfig, TlsStream};
use crossbeam_channel::{Receiver, Sender, bounded};
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What a transfer moves.
pub(crate) enum Payload {
    /// RETR: a file (`size` bytes when opened) from `offset`; TYPE I uses
    /// sendfile(2) (unless `copy` says otherwise), TYPE A converts LF → CRLF.
    File { file: File, size: u64, offset: u64, kind: TransferType, copy: Copy },
    /// LIST/NLST/MLSD: a listing already in wire form.
    Buffer(Listing),
    /// STOR/STOU/APPE: data into a sink; TYPE A converts CRLF → LF.
    Receive { sink: Sink, kind: TransferType },
}

/// How a binary download reaches the socket (use_sendfile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Copy {
    /// sendfile(2), straight from the page cache.
    ZeroCopy,
    /// read(2) into a buffer, then write(2).
    Buffered,
}

/// Where received data goes.
pub(crate) enum Sink {
    /// A temporary file renamed over the target only on success.
    Upload(Upload),
    /// A file written in place (APPE, STOR after REST, STOU's new file).
    File(File),
}

#[derive(Debug)]
pub(crate) enum Outcome {
    Complete,
    Aborted,
    /// The data connection failed (→ 426).
    Network(io::Error),
    /// Reading or writing the local file failed (→ 451/452).
    Local(io::Error),
    /// The data connection's TLS handshake failed (→ 522).
    Tls(String),
    /// Under require_ssl_reuse the data connection did not resume the
    /// control connection's TLS session (→ 522).
    NotResumed,
}

/// TLS for a data connection (PROT P): the control session's server config,
/// so only a client holding that session's tickets can resume.
pub(crate) struct DataTls {
    /// strict_ssl_read_eof: an upload must end with the client's close_notify.
    pub(crate) strict_eof: bool,
    pub(crate) config: Arc<SessionConfig>,
    pub(crate) require_reuse: bool,
}

/// A data connection, plain or TLS: the copy loops read and write it the same
/// way; only plain TCP can use sendfile.
enum DataStream {
    Plain(TcpStream),
    Tls(Box<TlsStream>, Eof),
}

/// How the end of a TLS upload without the client's close_notify is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Eof {
    /// As the end of the data (vsftpd's default strict_ssl_read_eof=NO).
    Lenient,
    /// As a failure: the data may have been cut short (strict_ssl_read_eof).
    Strict,
}

impl DataStream {
    /// Runs the server handshake when the data channel is protected.
    fn open(mut tcp: TcpStream, tls: Option<DataTls>) -> Result<DataStream, Outcome> {
        let Some(tls) = tls else {
            return Ok(DataStream::Plain(tcp));
        };
        let mut conn = ServerConnection::new(tls.config).map_err(|e| Outcome::Tls(e.to_string()))?;
        crate::tls::handshake(&mut conn, &mut tcp, || Ok(())).map_err(|e| Outcome::Tls(e.to_string()))?;
        if tls.require_reuse && !crate::tls::resumed(&conn) {
            return Err(Outcome::NotResumed);
        }
        let eof = if tls.strict_eof { Eof::Strict } else { Eof::Lenient };
        // Room for a whole copy buffer per write (rustls takes 64 KiB by default).
        Ok(DataStream::Tls(Box::new(TlsStream::new(conn, tcp, 2 * COPY_BUFFER)), eof))
    }

    fn tcp(&self) -> &TcpStream {
        match self {
            DataStream::Plain(s) => s,
            DataStream::Tls(s, _) => &s.sock,
        }
    }

    /// A clean end of data: close_notify under TLS, then FIN (not RST).
    fn finish(&mut self) {
        if let DataStream::Tls(s, _) = self {
            s.conn.send_close_notify();
            let _ = s.flush();
        }
        let _ = self.tcp().shutdown(Shutdown::Write);
    }
}

impl Read for DataStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            DataStream::Plain(s) => s.read(buf),
            // A client that closes without close_notify still ends the upload
            // unless strict_ssl_read_eof says the data may be cut short.
            DataStream::Tls(s, eof) => match s.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && *eof == Eof::Lenient => Ok(0),
                r => r,
            },
        }
    }
}

impl Write for DataStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            DataStream::Plain(s) => s.write(buf),
            DataStream::Tls(s, _) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            DataStream::Plain(s) => s.flush(),
            DataStream::Tls(s, _) => s.flush(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct TransferReport {
    /// Bytes moved over the data connection.
    pub(crate) bytes: u64,
    pub(crate) elapsed: Duration,
    pub(crate) outcome: Outcome,
    /// The data connection was TLS (PROT P): xferlog says `ftps`.
    pub(crate) tls: bool,
}

/// One transfer for the helper thread, and what it reports through.
struct Job {
    data: TcpStream,
    tls: Option<DataTls>,
    max_rate: u64,
    payload: Payload,
    abort: Arc<AtomicBool>,
    progress: Arc<AtomicU64>,
    started: Instant,
}

/// A session's transfer thread. Started by the first transfer and kept for
/// the next ones: a thread per transfer cost some twenty system calls and a
/// fresh stack each time, which showed in sessions that move many small
/// files. It ends when the session's login ends (the sender is dropped), or
/// after [`HELPER_IDLE`] without work, so idle sessions hold no second
/// thread. It is started from the session's thread once the login's identity
/// is taken on, so it reads and writes files with that identity too.
#[derive(Default)]
pub(crate) struct Helper {
    thread: Option<HelperThread>,
}

struct HelperThread {
    /// Zero capacity: a job is handed over only to a thread that takes it,
    /// never left in a queue that a thread which just timed out abandons.
    jobs: Sender<Job>,
    reports: Receiver<TransferReport>,
    /// Read end of a pipe the thread writes one byte to after each report,
    /// so the session can poll for the end of a transfer beside the control
    /// connection; it reads as hang-up once the thread is gone.
    done: Arc<OwnedFd>,
}

impl HelperThread {
    /// The thread of session `sid`, named `xfer-SID`.
    fn spawn(sid: u64) -> io::Result<HelperThread> {
        let (done, done_tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(crate::sys::io_err)?;
        let (jobs, job_rx) = bounded::<Job>(0);
        let (report_tx, reports) = bounded(1);
        std::thread::Builder::new().name(format!("xfer-{sid}")).stack_size(THREAD_STACK).spawn(move || {
            // The copy buffer, kept from one transfer to the next.
            let mut buf = Vec::new();
            while let Ok(job) = job_rx.recv_timeout(HELPER_IDLE) {
                let started = job.started;
                let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(job, &mut buf)))
                    .unwrap_or_else(|_| TransferReport {
                        bytes: 0,
                        elapsed: started.elapsed(),
                        outcome: Outcome::Local(io::Error::other("transfer thread panicked")),
                        tls: false,
                    });
                if report_tx.send(report).is_err() || nix::unistd::write(&done_tx, &[1]).is_err() {
                    break;
                }
            }
        })?;
        Ok(HelperThread { jobs, reports, done: Arc::new(done) })
    }
}

impl Helper {
    /// Hands `job` to the thread, starting one if there is none (or the
    /// last one has ended).
    fn submit(&mut self, sid: u64, mut job: Job) -> io::Result<(Receiver<TransferReport>, Arc<OwnedFd>)> {
        for _ in 0..2 {
            let thread = match &mut self.thread {
                Some(t) => t,
                None => self.thread.insert(HelperThread::spawn(sid)?),
            };
            match thread.jobs.send(job) {
                Ok(()) => return Ok((thread.reports.clone(), thread.done.clone())),
                // The thread ended (idle): start another.
                Err(e) => {
                    job = e.into_inner();
                    self.thread = None;
                }
            }
        }
        Err(io::Error::other("transfer thread could not be started"))
    }
}

/// Where [`Running::start`] left a transfer.
pub(crate) enum Started {
    /// A small download that went out at once from the session's thread.
    Done(TransferReport),
    /// In the helper thread; the session waits for its report.
    Running(Running),
}

/// A transfer running in its session's helper thread.
pub(crate) struct Running {
    reports: Receiver<TransferReport>,
    abort: Arc<AtomicBool>,
    progress: Arc<AtomicU64>,
    /// A second handle on the data socket, to cut it on ABOR.
    data: TcpStream,
    /// The helper's done pipe: readable when this transfer's report is there.
    done: Arc<OwnedFd>,
    pub(crate) started: Instant,
}

impl Running {
    /// Starts `payload` over `data` (TLS first, under PROT P) in the helper
    /// thread of session `sid` (started if there is none), moving at most
    /// `max_rate` bytes per second (0 = no limit). A small download in the
    /// clear is first tried from this thread ([`send_now`]): if all of it
    /// goes out without waiting, it is done here.
    pub(crate) fn start(
        helper: &mut Helper,
        sid: u64,
        data: TcpStream,
        tls: Option<DataTls>,
        max_rate: u64,
        mut payload: Payload,
    ) -> io::Result<Started> {
        let progress = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        if tls.is_none() && max_rate == 0 && send_now(&data, &mut payload, &progress) {
            DataStream::Plain(data).finish();
            return Ok(Started::Done(TransferReport {
                bytes: progress.load(Ordering::Relaxed),
                elapsed: started.elapsed(),
                outcome: Outcome::Complete,
                tls: false,
            }));
        }
        let abort = Arc::new(AtomicBool::new(false));
        let data_clone = data.try_clone()?;
        let job = Job { data, tls, max_rate, payload, abort: abort.clone(), progress: progress.clone(), started };
        let (reports, done) = helper.submit(sid, job)?;
        Ok(Started::Running(Running { reports, abort, progress, data: data_clone, done, started }))
    }

    pub(crate) fn done_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.done.as_fd()
    }

    /// Bytes moved so far.
    /// The bytes-moved counter, shared (for `rftpd who`).
    pub(crate) fn progress(&self) -> Arc<AtomicU64> {
        self.progress.clone()
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }

    /// Stops the transfer: flags it and cuts the data connection so a blocked
    /// read, write or sendfile returns at once.
    pub(crate) fn abort(&self) {
        self.abort.store(true, Ordering::SeqCst);
        let _ = self.data.shutdown(Shutdown::Both);
    }

    /// Waits for the helper and returns its report.
    pub(crate) fn wait(self) -> TransferReport {
        let report = self.reports.recv().unwrap_or_else(|_| TransferReport {
            bytes: 0,
            elapsed: self.started.elapsed(),
            outcome: Outcome::Local(io::Error::other("transfer thread ended")),
            tls: false,
        });
        // The byte that announced it, so the pipe polls as empty again.
        let _ = nix::unistd::read(self.done.as_fd(), &mut [0u8; 1]);
        report
    }
}

/// Sends a small download — a binary file's rest of at most [`INLINE_SEND`]
/// bytes, or a listing that size — from the calling thread, in non-blocking
/// calls, so the session need not wake its helper thread and then be woken
/// by it: that hand-over was most of a small file's time. True when all of
/// it went out; otherwise `payload` is left advanced past what was sent (in
/// `progress`), for the helper thread to finish or to report the error.
fn send_now(data: &TcpStream, payload: &mut Payload, progress: &AtomicU64) -> bool {
    match payload {
        Payload::File { file, size, offset, kind: TransferType::Image, copy: Copy::ZeroCopy }
            if size.saturating_sub(*offset) <= INLINE_SEND =>
        {
            let (file, size) = (&*file, *size);
            let mut off = *offset as i64;
            let all = nonblocking(data, || {
                while (off as u64) < size {
                    let want = (size - off as u64) as usize;
                    match crate::sys::fs::sendfile(data.as_fd(), file.as_fd(), &mut off, want) {
                        // The file shrank since it was opened: its end is the end.
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(_) => return false,
                    }
                }
                true
            });
            progress.store(off as u64 - *offset, Ordering::Relaxed);
            *offset = off as u64;
            all
        }
        Payload::Buffer(listing) if listing.bytes.len() as u64 <= INLINE_SEND => {
            let mut n = 0;
            let all = nonblocking(data, || {
                while n < listing.bytes.len() {
                    match (&*data).write(&listing.bytes[n..]) {
                        Ok(0) | Err(_) => return false,
                        Ok(k) => n += k,
                    }
                }
                true
            });
            progress.store(n as u64, Ordering::Relaxed);
            listing.bytes.drain(..n);
            all
        }
        _ => false,
    }
}

/// Runs `f` with `data` non-blocking; false (the rest left to the helper
/// thread) if the socket's mode cannot be switched either way.
fn nonblocking(data: &TcpStream, f: impl FnOnce() -> bool) -> bool {
    if data.set_nonblocking(true).is_err() {
        return false;
    }
    let all = f();
    data.set_nonblocking(false).is_ok() && all
}

fn run(job: Job, buf: &mut Vec<u8>) -> TransferReport {
    let Job { data, tls, max_rate, payload, abort, progress, started } = job;
    let (abort, progress) = (&*abort, &*progress);
    let tls_on = tls.is_some();
    let report = |outcome| TransferReport {
        bytes: progress.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        outcome,
        tls: tls_on,
    };
    if !matches!(payload, Payload::Receive { .. }) {
        if let Err(e) = crate::sys::net::limit_unsent(&data, DATA_UNSENT_LIMIT) {
            log::debug!("data connection: TCP_NOTSENT_LOWAT not set: {e}");
        }
    }
    let mut data = match DataStream::open(data, tls) {
        Ok(d) => d,
        Err(o) => return report(o),
    };
    let mut pace = Pace { abort, progress, max_rate, started: Instant::now() };
    let result = match (payload, &data) {
        (
            Payload::File { file, size, offset, kind: TransferType::Image, copy: Copy::ZeroCopy },
            DataStream::Plain(tcp),
        ) => send_file(tcp, &file, offset, size, &mut pace),
        (Payload::File { mut file, offset, kind, .. }, _) => {
            send_copy(&mut data, &mut file, offset, kind, &mut pace, buf)
        }
        (Payload::Buffer(listing), _) => send_buffer(&mut data, &listing.bytes, &mut pace),
        (Payload::Receive { sink, kind }, _) => receive(&mut data, sink, kind, &mut pace, buf),
    };
    let outcome = match result {
        _ if abort.load(Ordering::SeqCst) => Outcome::Aborted,
        Ok(()) => Outcome::Complete,
        Err(o) => o,
    };
    if matches!(outcome, Outcome::Complete) {
        data.finish();
    }
    report(outcome)
}

/// What every copy loop checks between chunks: ABOR, the byte count STAT
/// reports, and the session's rate limit (anon_max_rate/local_max_rate).
struct Pace<'a> {
    abort: &'a AtomicBool,
    progress: &'a AtomicU64,
    /// Bytes per second; 0 = no limit.
    max_rate: u64,
    started: Instant,
}

impl Pace<'_> {
    fn check(&self) -> Result<(), Outcome> {
        if self.abort.load(Ordering::Relaxed) { Err(Outcome::Aborted) } else { Ok(()) }
    }

    /// The most to move in one step: a tenth of a second's worth when
    /// limited, so the rate holds over short spans too.
    fn chunk(&self, full: usize) -> usize {
        if self.max_rate == 0 { full } else { full.min((self.max_rate / 10).max(512) as usize) }
    }

    /// Counts `n` bytes moved, then sleeps until the rate allows more
    /// (in short naps, so an ABOR still ends the transfer at once).
    fn moved(&mut self, n: usize) -> Result<(), Outcome> {
        let total = self.progress.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if self.max_rate == 0 {
            return Ok(());
        }
        let due = Duration::from_secs_f64(total as f64 / self.max_rate as f64);
        loop {
            self.check()?;
            let elapsed = self.started.elapsed();
            if elapsed >= due {
                return Ok(());
            }
            std::thread::sleep((due - elapsed).min(Duration::from_millis(100)));
        }
    }
}

/// Sends the file from `offset` to `size` (its size when opened, as the 150
/// reply announced; it ends sooner if the file shrank meanwhile).
fn send_file(data: &TcpStream, file: &File, offset: u64, size: u64, pace: &mut Pace<'_>) -> Result<(), Outcome> {
    let mut off = offset as i64;
    while (off as u64) < size {
        pace.check()?;
        let want = pace.chunk(SENDFILE_CHUNK).min((size - off as u64) as usize);
        let n = match crate::sys::fs::sendfile(data.as_fd(), file.as_fd(), &mut off, want) {
            Ok(n) => n,
            // sendfile reports read errors of the file and write errors of the socket alike;
            // EIO is the file's, everything else the connection's.
            Err(e) if e.raw_os_error() == Some(libc::EIO) => return Err(Outcome::Local(e)),
            Err(e) => return Err(Outcome::Network(e)),
        };
        if n == 0 {
            return Ok(());
        }
        pace.moved(n)?;
    }
    Ok(())
}

/// A file through a buffer: TYPE A (LF → CRLF), or any type under TLS.
fn send_copy(
    data: &mut DataStream,
    file: &mut File,
    offset: u64,
    kind: TransferType,
    pace: &mut Pace<'_>,
    buf: &mut Vec<u8>,
) -> Result<(), Outcome> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset)).map_err(Outcome::Local)?;
    buf.resize(pace.chunk(COPY_BUFFER), 0);
    let mut out = Vec::with_capacity(buf.len() * 2);
    loop {
        pace.check()?;
        let n = read_retry(file, buf).map_err(Outcome::Local)?;
        if n == 0 {
            return Ok(());
        }
        let bytes = if kind == TransferType::Ascii {
            out.clear();
            ascii::to_network(&buf[..n], &mut out);
            &out[..]
        } else {
            &buf[..n]
        };
        data.write_all(bytes).map_err(Outcome::Network)?;
        pace.moved(bytes.len())?;
    }
}

fn send_buffer(data: &mut DataStream, buf: &[u8], pace: &mut Pace<'_>) -> Result<(), Outcome> {
    for chunk in buf.chunks(pace.chunk(COPY_BUFFER)) {
        pace.check()?;
        data.write_all(chunk).map_err(Outcome::Network)?;
        pace.moved(chunk.len())?;
    }
    Ok(())
}

fn receive(
    data: &mut DataStream,
    mut sink: Sink,
    kind: TransferType,
    pace: &mut Pace<'_>,
    buf: &mut Vec<u8>,
) -> Result<(), Outcome> {
    buf.resize(pace.chunk(COPY_BUFFER), 0);
    let mut conv = (kind == TransferType::Ascii).then(ascii::FromNetwork::default);
    let mut out = Vec::new();
    let file: &mut File = match &mut sink {
        Sink::Upload(u) => u.file(),
        Sink::File(f) => f,
    };
    let mut failed = None;
    loop {
        pace.check()?;
        let n = fill(data, buf, &mut failed).map_err(Outcome::Network)?;
        if n == 0 {
            break;
        }
        match &mut conv {
            None => file.write_all(&buf[..n]),
            Some(c) => {
                out.clear();
                c.convert(&buf[..n], &mut out);
                file.write_all(&out)
            }
        }
        .map_err(Outcome::Local)?;
        pace.moved(n)?;
    }
    if let Some(c) = &mut conv {
        out.clear();
        c.finish(&mut out);
        file.write_all(&out).map_err(Outcome::Local)?;
    }
    pace.check()?;
    match sink {
        // Dropping an uncommitted Upload (every early return above) removes its temporary file.
        Sink::Upload(u) => u.commit().map_err(Outcome::Local),
        Sink::File(_) => Ok(()),
    }
}

/// Reads until `buf` is full or the data ends: a TLS read gives a record
/// (16 KiB) or less at a time, and a write to the file per record cost
/// 65,536 writes per GiB uploaded. An error after some bytes arrived is
/// kept in `failed` for the next call, so those bytes still reach the file
/// (a client resumes an interrupted APPE or REST upload from what is there).
fn fill(r: &mut impl Read, buf: &mut [u8], failed: &mut Option<io::Error>) -> io::Result<usize> {
    if let Some(e) = failed.take() {
        return Err(e);
    }
    let mut n = 0;
    while n < buf.len() {
        match read_retry(r, &mut buf[n..]) {
            Ok(0) => break,
            Ok(got) => n += got,
            Err(e) if n > 0 => {
                *failed = Some(e);
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn read_retry(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, connect, setsockopt, socket, sockopt};
    use std::os::fd::AsRawFd;

    /// A connection whose sending end takes only a few KiB at once: a small
    /// send buffer, and a receiver with a small window that reads nothing yet.
    fn tight() -> (TcpStream, TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = socket(AddressFamily::Inet, SockType::Stream, SockFlag::empty(), None).unwrap();
        setsockopt(&fd, sockopt::RcvBuf, &2048).unwrap();
        let port = listener.local_addr().unwrap().port();
        connect(fd.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, port)).unwrap();
        let (sender, _) = listener.accept().unwrap();
        setsockopt(&sender, sockopt::SndBuf, &4096).unwrap();
        (sender, TcpStream::from(fd))
    }

    fn nonblocking(s: &TcpStream) -> bool {
        use nix::fcntl::{FcntlArg, OFlag, fcntl};
        OFlag::from_bits_truncate(fcntl(s, FcntlArg::F_GETFL).unwrap()).contains(OFlag::O_NONBLOCK)
    }

    /// An unnamed in-memory file holding `content` (the tests touch no disk).
    fn memory_file(content: &[u8]) -> File {
        use nix::sys::memfd::{MFdFlags, memfd_create};
        let mut file = File::from(memfd_create("rftpd-test", MFdFlags::MFD_CLOEXEC).unwrap());
        file.write_all(content).unwrap();
        file
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn a_small_file_the_socket_takes_goes_out_whole() {
        let content = pattern(4096);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut receiver = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (sender, _) = listener.accept().unwrap();
        let file = memory_file(&content);
        let mut payload =
            Payload::File { file, size: 4096, offset: 0, kind: TransferType::Image, copy: Copy::ZeroCopy };
        let progress = AtomicU64::new(0);
        assert!(send_now(&sender, &mut payload, &progress));
        assert_eq!(progress.load(Ordering::Relaxed), 4096);
        let mut got = vec![0; 4096];
        receiver.read_exact(&mut got).unwrap();
        assert_eq!(got, content);
        assert!(!nonblocking(&sender), "blocking again, for the helper thread or the close");
    }

    #[test]
    fn what_the_socket_does_not_take_is_left_for_the_helper() {
        let content = pattern(INLINE_SEND as usize);
        let file = memory_file(&content);
        let (sender, mut receiver) = tight();
        let size = content.len() as u64;
        let mut payload = Payload::File { file, size, offset: 100, kind: TransferType::Image, copy: Copy::ZeroCopy };
        let progress = AtomicU64::new(0);
        assert!(!send_now(&sender, &mut payload, &progress), "a few KiB of window cannot take 64 KiB");
        let Payload::File { offset, .. } = payload else { unreachable!() };
        assert!(offset > 100 && offset < size, "{offset}");
        assert_eq!(progress.load(Ordering::Relaxed), offset - 100);
        let mut got = vec![0; (offset - 100) as usize];
        receiver.read_exact(&mut got).unwrap();
        assert!(got == content[100..offset as usize], "what went out is the file from its offset");
        assert!(!nonblocking(&sender), "blocking again, for the helper thread or the close");
    }

    #[test]
    fn what_the_socket_does_not_take_of_a_listing_stays_in_it() {
        let content = pattern(INLINE_SEND as usize);
        let listing = Listing::hold(content.clone(), usize::MAX).unwrap();
        let (sender, mut receiver) = tight();
        let mut payload = Payload::Buffer(listing);
        let progress = AtomicU64::new(0);
        assert!(!send_now(&sender, &mut payload, &progress));
        let sent = progress.load(Ordering::Relaxed) as usize;
        let Payload::Buffer(listing) = payload else { unreachable!() };
        assert!(sent > 0 && listing.bytes == content[sent..], "{sent}");
        let mut got = vec![0; sent];
        receiver.read_exact(&mut got).unwrap();
        assert!(got == content[..sent]);
    }

    #[test]
    fn large_or_converted_downloads_are_left_to_the_helper() {
        let (sender, _receiver) = tight();
        let progress = AtomicU64::new(0);
        let file = || memory_file(b"");
        let size = INLINE_SEND + 1;
        let mut large =
            Payload::File { file: file(), size, offset: 0, kind: TransferType::Image, copy: Copy::ZeroCopy };
        assert!(!send_now(&sender, &mut large, &progress));
        let mut ascii =
            Payload::File { file: file(), size: 10, offset: 0, kind: TransferType::Ascii, copy: Copy::ZeroCopy };
        assert!(!send_now(&sender, &mut ascii, &progress));
        let mut copied =
            Payload::File { file: file(), size: 10, offset: 0, kind: TransferType::Image, copy: Copy::Buffered };
        assert!(!send_now(&sender, &mut copied, &progress));
        assert_eq!(progress.load(Ordering::Relaxed), 0);
    }
}
