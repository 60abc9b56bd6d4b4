//! The bounded worker pool. Sessions are handed over a zero-capacity
//! crossbeam channel: `try_send` succeeds only when a worker is idle in
//! `recv`; otherwise a new worker is spawned while fewer than `max` exist,
//! and beyond that the master gets the socket back to answer 421.

use super::limits::Slot;
use crate::ftp::{self, Shared};
use crate::limits::THREAD_STACK;
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded, select};
use log::error;
use std::net::TcpStream;
use std::sync::Arc;

/// One accepted control connection on its way to a worker, with the
/// server state (config) in force when it was accepted.
pub struct Job {
    pub stream: TcpStream,
    pub sid: u64,
    pub slot: Slot,
    pub shared: Arc<Shared>,
}

pub struct Pool {
    jobs_tx: Sender<Job>,
    jobs_rx: Receiver<Job>,
    /// Never sent on: dropping the pool disconnects it and idle workers exit.
    _stop_tx: Sender<()>,
    stop_rx: Receiver<()>,
    spawned: usize,
    max: usize,
}

impl Pool {
    pub fn new(max: usize) -> Pool {
        let (jobs_tx, jobs_rx) = bounded(0);
        let (stop_tx, stop_rx) = bounded(0);
        Pool { jobs_tx, jobs_rx, _stop_tx: stop_tx, stop_rx, spawned: 0, max }
    }

    /// A reloaded config may change max_clients; running workers stay.
    pub fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    /// Gives the job to an idle worker, or to a new one while fewer than
    /// `max` exist; `Err(job)` when every worker is busy.
    pub fn try_hand_over(&mut self, job: Job) -> Result<(), Job> {
        let job = match self.jobs_tx.try_send(job) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => job,
        };
        if self.spawned >= self.max {
            return Err(job);
        }
        let (jobs, stop) = (self.jobs_rx.clone(), self.stop_rx.clone());
        let name = format!("worker-{}", self.spawned);
        match std::thread::Builder::new().name(name).stack_size(THREAD_STACK).spawn(move || worker(job, jobs, stop)) {
            Ok(_) => self.spawned += 1,
            // The job moved into the closure that failed to start; its socket is closed.
            Err(e) => error!("cannot start a worker thread: {e}"),
        }
        Ok(())
    }
}

/// A worker: serves its first job, then waits for more until the pool goes away.
fn worker(first: Job, jobs: Receiver<Job>, stop: Receiver<()>) {
    let mut job = first;
    loop {
        ftp::serve(job.stream, job.sid, &job.shared);
        drop(job.slot);
        job = select! {
            recv(jobs) -> msg => match msg {
                Ok(j) => j,
                Err(_) => return,
            },
            recv(stop) -> _ => return,
        };
    }
}
