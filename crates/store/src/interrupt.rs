//! A store's interrupt request, as engines see it.
//!
//! The interpreter tests a flag at every loop back-edge and function entry.
//! Compiled code does not test anything: it reads one byte of the *poll page*
//! at the same places, a load whose value it ignores. The page is readable
//! until an interrupt is requested, which makes it inaccessible; the next
//! read faults, and the signal handler turns the fault into the trap
//! "interrupted" (the read is a trap site of that code). Taking the request
//! makes the page readable again. A load that always hits the cache costs a
//! tight loop much less than a load, a test and a branch (the JVM's safepoint
//! polls work the same way).
//!
//! The flag and the page change together, under a lock, so the two engines
//! agree: a request stops one call, or the next one if none is running.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::Mutex;

/// A store's interrupt request (see the module documentation).
#[derive(Debug)]
pub struct Interrupt {
    /// Whether a request is pending.
    flag: AtomicBool,
    /// The poll page once made (null before), for reading without the lock.
    page: AtomicPtr<u8>,
    /// Serializes requests, takes and the making of the page.
    lock: Mutex<()>,
}

/// A byte that is always readable: the poll address where no page can be made.
static NEVER_ARMED: u8 = 0;

impl Default for Interrupt {
    fn default() -> Self {
        Self::new()
    }
}

impl Interrupt {
    /// No request pending, no poll page yet.
    pub const fn new() -> Self {
        Self {
            flag: AtomicBool::new(false),
            page: AtomicPtr::new(std::ptr::null_mut()),
            lock: Mutex::new(()),
        }
    }

    /// Asks the running (or next) call to stop.
    pub fn request(&self) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.flag.store(true, Ordering::Relaxed);
        if let Some(page) = NonNull::new(self.page.load(Ordering::Relaxed)) {
            poll::arm(page, true);
        }
    }

    /// Whether a request is pending (the interpreter's test, without taking it).
    #[inline]
    pub fn is_requested(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// Takes the pending request, if any: true if there was one. Inlined down
    /// to the flag's test, which is all the interpreter's checks cost.
    #[inline]
    pub fn take(&self) -> bool {
        self.is_requested() && self.take_pending()
    }

    /// [`Interrupt::take`] once a request was seen: clears the flag and makes
    /// the page readable again, under the lock.
    #[cold]
    #[inline(never)]
    fn take_pending(&self) -> bool {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let was = self.flag.swap(false, Ordering::Relaxed);
        if let Some(page) = NonNull::new(self.page.load(Ordering::Relaxed)) {
            poll::arm(page, false);
        }
        was
    }

    /// The address compiled code reads at its checks: the poll page, made on
    /// first use (inaccessible at once if a request is pending). Where no page
    /// can be made (not Unix, or no memory), a byte that is always readable:
    /// compiled code then cannot be interrupted.
    pub fn poll_address(&self) -> *const u8 {
        let page = self.page.load(Ordering::Acquire);
        if !page.is_null() {
            return page;
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let page = self.page.load(Ordering::Relaxed);
        if !page.is_null() {
            return page;
        }
        match poll::make() {
            Some(page) => {
                if self.flag.load(Ordering::Relaxed) {
                    poll::arm(page, true);
                }
                self.page.store(page.as_ptr(), Ordering::Release);
                page.as_ptr()
            }
            None => &NEVER_ARMED,
        }
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        if let Some(page) = NonNull::new(*self.page.get_mut()) {
            poll::unmake(page);
        }
    }
}

#[cfg(unix)]
mod poll {
    use std::ptr::NonNull;

    use rustix::mm::{mmap_anonymous, mprotect, munmap, MapFlags, MprotectFlags, ProtFlags};

    /// The page's size: the smallest any supported platform protects.
    const SIZE: usize = 4096;

    /// A fresh readable page of zeros.
    pub(super) fn make() -> Option<NonNull<u8>> {
        // SAFETY: a fresh anonymous mapping aliases no Rust object.
        let raw = unsafe {
            mmap_anonymous(
                std::ptr::null_mut(),
                SIZE,
                ProtFlags::READ,
                MapFlags::PRIVATE,
            )
        }
        .ok()?;
        NonNull::new(raw.cast())
    }

    /// Makes the page inaccessible (`armed`) or readable again.
    pub(super) fn arm(page: NonNull<u8>, armed: bool) {
        let flags = if armed {
            MprotectFlags::empty()
        } else {
            MprotectFlags::READ
        };
        // SAFETY: the page was mapped by `make` and stays mapped until the
        // `Interrupt` is dropped; no Rust reference points into it (compiled
        // code reads it by address only). A failure leaves it as it was: at
        // worst a request is noticed late, or a stale one once more.
        let _ = unsafe { mprotect(page.as_ptr().cast(), SIZE, flags) };
    }

    /// Unmaps the page.
    pub(super) fn unmake(page: NonNull<u8>) {
        // SAFETY: mapped by `make`; the `Interrupt` is being dropped, and
        // compiled code only runs while its store (which holds it) is alive.
        let _ = unsafe { munmap(page.as_ptr().cast(), SIZE) };
    }
}

#[cfg(not(unix))]
mod poll {
    use std::ptr::NonNull;

    pub(super) fn make() -> Option<NonNull<u8>> {
        None
    }

    pub(super) fn arm(_: NonNull<u8>, _: bool) {}

    pub(super) fn unmake(_: NonNull<u8>) {}
}

#[cfg(test)]
mod tests {
    use super::Interrupt;

    #[test]
    fn a_request_is_taken_once() {
        let i = Interrupt::default();
        assert!(!i.take());
        i.request();
        assert!(i.is_requested());
        assert!(i.take());
        assert!(!i.take());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_poll_page_is_inaccessible_exactly_while_a_request_is_pending() {
        use crate::test_support::permissions_at;
        let i = Interrupt::default();
        i.request();
        // Made while a request is pending: inaccessible at once.
        let page = i.poll_address() as usize;
        assert_eq!(i.poll_address() as usize, page, "one page per store");
        assert_eq!(permissions_at(page), "---p");
        assert!(i.take());
        assert_eq!(permissions_at(page), "r--p");
        i.request();
        assert_eq!(permissions_at(page), "---p");
        assert!(i.take());
        assert_eq!(permissions_at(page), "r--p");
    }
}
