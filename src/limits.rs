//! Every fixed bound rftpd applies to client input, gathered in one place
//! (like vsftpd's defs.h). Bounds an admin may want to tune are config keys instead.

/// Longest command line accepted, CRLF excluded. Longer lines get `500` and are discarded.
pub const MAX_COMMAND_LINE: usize = 4096;

/// Most entries a single LIST/NLST/MLSD/STAT listing will contain; the rest is cut off and logged.
pub const MAX_LISTING_ENTRIES: usize = 100_000;

/// Directories with at least this many entries are `lstat`ed by up to
/// four threads (one per CPU): a 10,000-entry LIST spent 17 of its 30 ms
/// in `lstat`s (1.7 µs each on the bench VM).
pub const PARALLEL_STAT_MIN: usize = 2048;

/// SIZE in TYPE A must read the file to count line ends; larger files get `550`.
pub const MAX_ASCII_SIZE_SCAN: u64 = 16 * 1024 * 1024;

/// What SIZE in TYPE A may read in one session in all; beyond it `550`
/// (a repeated SIZE of an unchanged file is answered from memory).
pub const MAX_ASCII_SIZE_SESSION: u64 = 256 * 1024 * 1024;

/// Bytes handed to one sendfile(2) call (an ABOR is noticed between calls).
/// Measured with `make bench` (RETR 1 GiB over loopback, 2 cores): 32 KiB
/// gave 3.1–3.5 GB/s at 0.3 CPU s/GB; 16 KiB 2.1, 64 KiB 2.1, 256 KiB 2.2,
/// 1 MiB 1.2 and 4 MiB 1.4 GB/s, each at more CPU per GB.
pub const SENDFILE_CHUNK: usize = 32 * 1024;

/// Read buffer of a control connection. Commands are short and a line may
/// span reads, so it is small: it is most of an idle session's heap.
pub const CONTROL_READ_BUFFER: usize = 512;

/// Most bytes a download's data connection keeps queued unsent
/// (TCP_NOTSENT_LOWAT). The kernel's default is no limit, so eight parallel
/// downloads each buffered megabytes, which fell out of the CPU caches
/// before they were sent: `make bench` (8 × 10 RETR of 10 MiB over
/// loopback, 2 cores, Pure-FTPd 4.0–5.9 GB/s) measured the default at
/// 0.90× Pure-FTPd; 16 KiB 1.81×/1.16× (client copies/discards), 64 KiB
/// 2.02×/1.15×, 128 KiB 1.72×/1.35×, 256 KiB 1.49×/1.16×, 512 KiB
/// 1.36×/1.48×, with one stream of 1 GiB unchanged within the noise.
pub const DATA_UNSENT_LIMIT: u32 = 128 * 1024;

/// Largest download (a binary file's rest, or a listing) that the session's
/// own thread tries to send before handing it to the transfer thread: one
/// non-blocking call empties it into a fresh socket's send buffer, and the
/// hand-over and the report back cost two thread wake-ups, most of a small
/// file's time (see `ftp::helper::send_now`).
pub const INLINE_SEND: u64 = 64 * 1024;

/// Buffer for copy loops (uploads, ASCII downloads).
pub const COPY_BUFFER: usize = 256 * 1024;

/// Stack size of worker and transfer threads: sessions keep their buffers on the heap.
pub const THREAD_STACK: usize = 256 * 1024;

/// How long a session's transfer thread waits for the next transfer before
/// it ends (the next transfer starts another).
pub const HELPER_IDLE: std::time::Duration = std::time::Duration::from_secs(5);

/// How long the master waits to write a `421` to a refused client.
pub const REFUSAL_WRITE_TIMEOUT_MS: u64 = 1000;

/// How many times `openat2` is retried when the kernel reports a racing rename (EAGAIN).
pub const OPENAT2_RETRIES: usize = 8;

/// Most `STOU` candidates tried before giving up.
pub const MAX_UNIQUE_TRIES: u32 = 1000;

/// Longest users-file line accepted.
pub const MAX_USERS_FILE_BYTES: u64 = 4 * 1024 * 1024;
