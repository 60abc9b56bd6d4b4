//! What listings may hold in memory, across all sessions. A listing is
//! built whole (it is sorted) and then sent; a client that never reads
//! keeps it. Every listing's bytes count against one budget
//! (`max_listing_memory`); a listing that does not fit is refused with
//! 451, and once a large one is freed the allocator gives the memory back.

use std::sync::atomic::{AtomicUsize, Ordering};

static HELD: AtomicUsize = AtomicUsize::new(0);

/// Freed buffers at least this large make the allocator return free memory.
const TRIM_AFTER: usize = 1 << 20;

/// A listing in wire form with its share of the budget.
#[derive(Debug)]
pub(crate) struct Listing {
    pub(crate) bytes: Vec<u8>,
    held: usize,
}

impl Listing {
    /// Takes `bytes`' size from the budget of `limit` bytes, or gives
    /// `None` (the caller answers 451) when the listings held now leave no
    /// room for it.
    pub(crate) fn hold(bytes: Vec<u8>, limit: usize) -> Option<Listing> {
        let held = bytes.capacity();
        let fits = HELD
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                now.checked_add(held).filter(|total| *total <= limit)
            })
            .is_ok();
        if !fits {
            drop(bytes);
            crate::sys::release_free_memory();
            return None;
        }
        Some(Listing { bytes, held })
    }
}

impl Drop for Listing {
    fn drop(&mut self) {
        drop(std::mem::take(&mut self.bytes));
        HELD.fetch_sub(self.held, Ordering::AcqRel);
        if self.held >= TRIM_AFTER {
            crate::sys::release_free_memory();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_share_one_budget() {
        const LIMIT: usize = 1 << 40; // far above what other tests hold at once
        let big = Listing::hold(vec![0u8; 1 << 20], LIMIT).unwrap();
        assert!(Listing::hold(vec![0u8; 1 << 20], HELD.load(Ordering::Acquire) + (1 << 19)).is_none());
        assert!(Listing::hold(vec![0u8; 1 << 20], LIMIT).is_some());
        drop(big);
    }
}
