//! The bounded worker pool. Work is handed over a zero-capacity crossbeam
//! channel: `try_send` succeeds only when a worker is idle in `recv`;
//! otherwise a new worker is started while fewer than `max` exist, and
//! beyond that the master gets the job back to refuse it.
//!
//! A job that panics is caught and logged; its worker serves on. A worker
//! thread that ends for any reason gives its place back (a drop guard), so
//! no panic ever costs capacity.

use crate::limits::THREAD_STACK;
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded, select};
use log::error;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a worker does with one job.
pub(crate) type Serve<J> = Arc<dyn Fn(J) + Send + Sync>;
/// How a job is named in the log line of its panic (`session=4 client=…`).
pub(crate) type Describe<J> = fn(&J) -> String;

pub(crate) struct Pool<J: Send + 'static> {
    jobs_tx: Sender<J>,
    jobs_rx: Receiver<J>,
    /// Never sent on: dropping the pool disconnects it and idle workers exit.
    _stop_tx: Sender<()>,
    stop_rx: Receiver<()>,
    counts: Arc<Counts>,
    max: usize,
    /// Thread names are `{name}-{n}`.
    name: &'static str,
    started: usize,
    serve: Serve<J>,
    describe: Describe<J>,
}

/// Worker threads alive, and how many of them are serving a job.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    alive: AtomicUsize,
    busy: AtomicUsize,
}

impl Counts {
    pub(crate) fn alive(&self) -> usize {
        self.alive.load(Ordering::SeqCst)
    }

    pub(crate) fn busy(&self) -> usize {
        self.busy.load(Ordering::SeqCst)
    }
}

/// Held by a worker thread for its whole life: its place in the pool is
/// given back when it drops, however the thread ends.
struct Place(Arc<Counts>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.alive.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a worker as busy while it lives, panic or not.
struct Busy<'a>(&'a Counts);

impl<'a> Busy<'a> {
    fn new(counts: &'a Counts) -> Busy<'a> {
        counts.busy.fetch_add(1, Ordering::SeqCst);
        Busy(counts)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<J: Send + 'static> Pool<J> {
    pub(crate) fn new(name: &'static str, max: usize, serve: Serve<J>, describe: Describe<J>) -> Pool<J> {
        let (jobs_tx, jobs_rx) = bounded(0);
        let (stop_tx, stop_rx) = bounded(0);
        Pool {
            jobs_tx,
            jobs_rx,
            _stop_tx: stop_tx,
            stop_rx,
            counts: Arc::default(),
            max,
            name,
            started: 0,
            serve,
            describe,
        }
    }

    /// A reloaded config may change the maximum; running workers stay.
    pub(crate) fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    pub(crate) fn counts(&self) -> &Arc<Counts> {
        &self.counts
    }

    /// Gives the job to an idle worker, or to a new one while fewer than
    /// `max` exist; `Err(job)` when every worker is busy.
    pub(crate) fn try_hand_over(&mut self, job: J) -> Result<(), J> {
        let job = match self.jobs_tx.try_send(job) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => job,
        };
        if self.counts.alive() >= self.max {
            return Err(job);
        }
        self.counts.alive.fetch_add(1, Ordering::SeqCst);
        let place = Place(self.counts.clone());
        let (jobs, stop) = (self.jobs_rx.clone(), self.stop_rx.clone());
        let (serve, describe) = (self.serve.clone(), self.describe);
        let name = format!("{}-{}", self.name, self.started);
        self.started += 1;
        let spawned = std::thread::Builder::new()
            .name(name)
            .stack_size(THREAD_STACK)
            .spawn(move || worker(place, job, jobs, stop, serve, describe));
        // A thread that failed to start dropped its closure: the job's
        // socket is closed and the place given back.
        if let Err(e) = spawned {
            error!("cannot start a worker thread: {e}");
        }
        Ok(())
    }
}

/// A worker: serves its first job, then waits for more until the pool goes away.
fn worker<J>(place: Place, first: J, jobs: Receiver<J>, stop: Receiver<()>, serve: Serve<J>, describe: Describe<J>) {
    let mut job = first;
    loop {
        run_one(&place.0, &serve, describe, job);
        job = select! {
            recv(jobs) -> msg => match msg {
                Ok(j) => j,
                Err(_) => return,
            },
            recv(stop) -> _ => return,
        };
    }
}

/// Serves one job; a panic is logged with the job's name and goes no further.
fn run_one<J>(counts: &Counts, serve: &Serve<J>, describe: Describe<J>, job: J) {
    let _busy = Busy::new(counts);
    let label = describe(&job);
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| serve(job))) {
        error!("{label} panicked: {}; the worker serves on", panic_text(panic.as_ref()));
    }
}

/// The message a panic carried.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic.downcast_ref::<&str>().copied().or_else(|| panic.downcast_ref::<String>().map(String::as_str)).unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait_until(f: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !f() {
            assert!(Instant::now() < deadline, "condition not reached");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Panicking jobs, more of them than the pool has places, never cost a
    /// place: a normal job is still served afterwards.
    #[test]
    fn panics_never_cost_capacity() {
        let served = Arc::new(AtomicUsize::new(0));
        let s = served.clone();
        let serve: Serve<u32> = Arc::new(move |n| {
            if n == 0 {
                panic!("test panic");
            }
            s.fetch_add(1, Ordering::SeqCst);
        });
        let mut pool = Pool::new("test", 2, serve, |n| format!("job={n}"));
        for _ in 0..5 {
            let mut job = 0;
            // A busy pool hands the job back: wait for a worker to be idle again.
            while let Err(j) = pool.try_hand_over(job) {
                job = j;
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let mut job = 7;
        while let Err(j) = pool.try_hand_over(job) {
            job = j;
            std::thread::sleep(Duration::from_millis(1));
        }
        wait_until(|| served.load(Ordering::SeqCst) == 1);
        assert!(pool.counts().alive() <= 2);
        wait_until(|| pool.counts().busy() == 0);
    }

    /// A worker thread that dies gives its place back.
    #[test]
    fn a_place_is_returned_when_its_thread_ends() {
        let counts = Arc::new(Counts::default());
        counts.alive.fetch_add(1, Ordering::SeqCst);
        let place = Place(counts.clone());
        std::thread::spawn(move || {
            let _place = place;
        })
        .join()
        .unwrap();
        assert_eq!(counts.alive(), 0);
    }
}
