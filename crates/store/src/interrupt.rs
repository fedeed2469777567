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
//! agree.
//!
//! **A poke** ([`Interrupt::poke`]) raises the flag without arming the page
//! and without asking anything to stop: the interpreter's next check exits
//! to its outer loop, which takes the poke ([`Interrupt::take_poke`]) and
//! goes on. The tiered engine pokes a store when a module it runs has moved
//! to compiled code, so that a loop running in the interpreter can move
//! there too (on-stack replacement, at its next back-edge). Compiled code
//! never sees a poke.
//!
//! **A request belongs to a call.** The runtime marks each call from the
//! host (and each instantiation running start code) as an *activity* with a
//! serial number ([`Interrupt::begin`] / [`Interrupt::end`]). A request is
//! for the activity running when it is made ([`Interrupt::request`]) or for
//! one given activity ([`Interrupt::request_for`], what per-call deadlines
//! use); when nothing (or another activity) runs, it does nothing. Ending an
//! activity drops a request that arrived too late for its checks, so a
//! request never stops a later call. `begin` and `end` take no lock: the
//! request re-reads the running serial after raising the flag and arms the
//! page only if it is unchanged, and `end` takes the lock only if it sees
//! the flag raised (see [`Interrupt::request_for`] for the argument).

use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

/// A store's interrupt request (see the module documentation).
#[derive(Debug)]
pub struct Interrupt {
    /// [`REQUESTED`] while a request is pending, [`POKED`] while a poke is.
    flag: AtomicU8,
    /// The serial of the running activity, 0 if none.
    current: AtomicU64,
    /// The last serial handed out (only the store's lock holder begins
    /// activities, so a load and a store suffice).
    last: AtomicU64,
    /// The poll page once made (null before), for reading without the lock.
    page: AtomicPtr<u8>,
    /// Serializes requests, takes and the making of the page.
    lock: Mutex<()>,
}

/// [`Interrupt::flag`]'s bit of a pending request.
const REQUESTED: u8 = 1;
/// [`Interrupt::flag`]'s bit of a pending poke.
const POKED: u8 = 2;

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
            flag: AtomicU8::new(0),
            current: AtomicU64::new(0),
            last: AtomicU64::new(0),
            page: AtomicPtr::new(std::ptr::null_mut()),
            lock: Mutex::new(()),
        }
    }

    /// Marks an activity (a call from the host, or an instantiation running
    /// start code) as running and returns its serial. The caller holds the
    /// store's lock, and calls [`Interrupt::end`] when the activity ends.
    pub fn begin(&self) -> u64 {
        let serial = self.last.load(Ordering::Relaxed) + 1;
        self.last.store(serial, Ordering::Relaxed);
        self.current.store(serial, Ordering::SeqCst);
        serial
    }

    /// Marks the running activity as ended, dropping a request that came too
    /// late for its checks.
    pub fn end(&self) {
        self.current.store(0, Ordering::SeqCst);
        self.flag.fetch_and(!POKED, Ordering::Relaxed);
        if self.flag.load(Ordering::SeqCst) & REQUESTED != 0 {
            // A request raced the end: wait for it (it holds the lock while
            // it raises the flag and arms the page), then undo it.
            self.take_pending();
        }
    }

    /// The serial of the running activity, if any.
    pub fn running(&self) -> Option<u64> {
        Some(self.current.load(Ordering::SeqCst)).filter(|&s| s != 0)
    }

    /// Asks the running activity to stop; true if one was running (it stops
    /// at its next check, or ends first).
    pub fn request(&self) -> bool {
        self.running()
            .is_some_and(|serial| self.request_for(serial))
    }

    /// Asks activity `serial` to stop, if it is the running one; true if it
    /// was.
    ///
    /// Why no later activity can be stopped, though `begin` and `end` take no
    /// lock: all of `current` and `flag`'s accesses here and in `end` are
    /// sequentially consistent. This raises the flag, then re-reads
    /// `current`; `end` clears `current`, then reads the flag. If `end` read
    /// the flag before it was raised, its clearing came before that, so the
    /// re-read here sees another value (0, or a new serial: serials are never
    /// reused) and this lowers the flag again without arming the page; in
    /// between, a new activity's interpreter may see the flag but takes it
    /// under the lock this holds, so it finds it lowered. Otherwise `end` saw
    /// the flag and lowers it (and disarms the page) under the lock, after
    /// this is done.
    pub fn request_for(&self, serial: u64) -> bool {
        // 0 is "nothing runs", never an activity's serial.
        if serial == 0 {
            return false;
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.current.load(Ordering::SeqCst) != serial {
            return false;
        }
        self.flag.fetch_or(REQUESTED, Ordering::SeqCst);
        if self.current.load(Ordering::SeqCst) != serial {
            self.flag.fetch_and(!REQUESTED, Ordering::SeqCst);
            return false;
        }
        if let Some(page) = NonNull::new(self.page.load(Ordering::Relaxed)) {
            poll::arm(page, true);
        }
        true
    }

    /// Whether a request or a poke is pending (the interpreter's test,
    /// without taking either).
    #[inline]
    pub fn is_requested(&self) -> bool {
        self.flag.load(Ordering::Relaxed) != 0
    }

    /// Makes the interpreter's next check exit to its outer loop, without
    /// asking anything to stop (see the module documentation). Any thread
    /// may poke; compiled code does not see it. What the poking thread did
    /// before is visible to the thread that takes the poke.
    pub fn poke(&self) {
        self.flag.fetch_or(POKED, Ordering::Release);
    }

    /// Takes the pending poke, if any: true if there was one.
    #[inline]
    pub fn take_poke(&self) -> bool {
        self.flag.load(Ordering::Relaxed) & POKED != 0
            && self.flag.fetch_and(!POKED, Ordering::Acquire) & POKED != 0
    }

    /// Takes the pending request, if any: true if there was one (a pending
    /// poke stays). Inlined down to the flag's test, which is all the
    /// interpreter's checks cost.
    #[inline]
    pub fn take(&self) -> bool {
        self.flag.load(Ordering::Relaxed) & REQUESTED != 0 && self.take_pending()
    }

    /// [`Interrupt::take`] once a request was seen: clears the flag and makes
    /// the page readable again, under the lock.
    #[cold]
    #[inline(never)]
    fn take_pending(&self) -> bool {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let was = self.flag.fetch_and(!REQUESTED, Ordering::SeqCst) & REQUESTED != 0;
        // The page is armed only while the flag is raised.
        if let (true, Some(page)) = (was, NonNull::new(self.page.load(Ordering::Relaxed))) {
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
                if self.flag.load(Ordering::Relaxed) & REQUESTED != 0 {
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
            poll::unmake(page, *self.flag.get_mut() & REQUESTED != 0);
        }
    }
}

#[cfg(unix)]
mod poll {
    use std::ptr::NonNull;

    use rustix::mm::{mmap_anonymous, mprotect, munmap, MapFlags, MprotectFlags, ProtFlags};

    /// The page's size: the smallest any supported platform protects.
    const SIZE: usize = 4096;

    /// Pages of dropped requests, readable, kept for the next ones: a store
    /// per request (see the facade's independent instances) would otherwise
    /// map and unmap a page per request, which takes the process's memory-map
    /// lock and serializes threads.
    static KEPT: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

    /// At most this many pages are kept (16 MiB of address space, a page of
    /// memory each).
    const KEEP: usize = 4096;

    /// How many pages a thread keeps for itself before the shared list, so
    /// that a thread making and dropping a store per request takes no shared
    /// lock for its page.
    const LOCAL_KEEP: usize = 4;

    /// A thread's own kept pages; given to the shared list (or unmapped)
    /// when the thread exits.
    struct Local(Vec<usize>);

    impl Drop for Local {
        fn drop(&mut self) {
            for page in self.0.drain(..) {
                if let Some(page) = NonNull::new(page as *mut u8) {
                    give_back(page);
                }
            }
        }
    }

    std::thread_local! {
        static LOCAL: std::cell::RefCell<Local> = const { std::cell::RefCell::new(Local(Vec::new())) };
    }

    /// A readable page of zeros: a kept one, or a fresh one.
    pub(super) fn make() -> Option<NonNull<u8>> {
        let local = LOCAL
            .try_with(|l| l.try_borrow_mut().ok().and_then(|mut l| l.0.pop()))
            .ok()
            .flatten();
        if let Some(page) = local {
            return NonNull::new(page as *mut u8);
        }
        let kept = KEPT.lock().unwrap_or_else(|e| e.into_inner()).pop();
        if let Some(page) = kept {
            return NonNull::new(page as *mut u8);
        }
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

    /// Gives the page back: kept if it is readable (not `armed`), else
    /// unmapped.
    pub(super) fn unmake(page: NonNull<u8>, armed: bool) {
        if armed {
            // SAFETY: as in `give_back`.
            let _ = unsafe { munmap(page.as_ptr().cast(), SIZE) };
            return;
        }
        let kept_here = LOCAL
            .try_with(|l| match l.try_borrow_mut() {
                Ok(mut l) if l.0.len() < LOCAL_KEEP => {
                    l.0.push(page.as_ptr() as usize);
                    true
                }
                _ => false,
            })
            .unwrap_or(false);
        if !kept_here {
            give_back(page);
        }
    }

    /// Keeps a readable page on the shared list, or unmaps it when the list
    /// is full.
    fn give_back(page: NonNull<u8>) {
        {
            let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
            if kept.len() < KEEP {
                kept.push(page.as_ptr() as usize);
                return;
            }
        }
        // SAFETY: mapped by `make` and owned by the caller alone (an
        // `Interrupt` being dropped, or a thread's list of kept pages);
        // compiled code reads a page only while the store holding its
        // `Interrupt` is alive.
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

    pub(super) fn unmake(_: NonNull<u8>, _: bool) {}
}

#[cfg(test)]
mod tests {
    use super::Interrupt;

    #[test]
    fn a_request_stops_only_the_running_activity_and_is_taken_once() {
        let i = Interrupt::default();
        // Nothing runs: a request does nothing.
        assert!(!i.request());
        assert!(!i.is_requested());
        let first = i.begin();
        assert_eq!(i.running(), Some(first));
        assert!(i.request());
        assert!(i.is_requested());
        assert!(i.take());
        assert!(!i.take(), "taken once");
        // A request for another activity does nothing.
        assert!(!i.request_for(first + 1));
        assert!(!i.is_requested());
        // A request the activity did not take is dropped when it ends ...
        assert!(i.request_for(first));
        i.end();
        assert!(!i.is_requested());
        assert_eq!(i.running(), None);
        // ... and one for it that comes later stops nothing.
        let second = i.begin();
        assert_ne!(second, first, "serials are not reused");
        assert!(!i.request_for(first));
        assert!(!i.take());
        i.end();
    }

    #[test]
    fn a_poke_raises_the_flag_but_is_no_request() {
        let i = Interrupt::default();
        let page = i.poll_address() as usize;
        i.poke();
        assert!(i.is_requested(), "the interpreter's check sees it");
        assert!(!i.take(), "it stops nothing");
        #[cfg(target_os = "linux")]
        assert_eq!(crate::test_support::permissions_at(page), "r--p");
        let _ = page;
        assert!(i.take_poke());
        assert!(!i.take_poke(), "taken once");
        assert!(!i.is_requested());
        // A request and a poke together: each is taken by its own call.
        let serial = i.begin();
        i.poke();
        assert!(i.request_for(serial));
        assert!(i.take());
        assert!(i.is_requested(), "the poke stays");
        assert!(i.take_poke());
        assert!(!i.is_requested());
        // The end of an activity drops a poke.
        i.poke();
        i.end();
        assert!(!i.is_requested());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_poll_page_is_inaccessible_exactly_while_a_request_is_pending() {
        use crate::test_support::permissions_at;
        let i = Interrupt::default();
        i.begin();
        i.request();
        // Made while a request is pending: inaccessible at once.
        let page = i.poll_address() as usize;
        assert_eq!(i.poll_address() as usize, page, "one page per store");
        assert_eq!(permissions_at(page), "---p");
        assert!(i.take());
        assert_eq!(permissions_at(page), "r--p");
        i.request();
        assert_eq!(permissions_at(page), "---p");
        // Ending the activity drops the request and opens the page.
        i.end();
        assert_eq!(permissions_at(page), "r--p");
        assert!(!i.request());
        assert_eq!(permissions_at(page), "r--p");
    }

    /// Requests racing the ends and beginnings of activities never leave a
    /// request (or an armed page) for an activity they were not made for.
    #[test]
    fn late_requests_never_reach_a_later_activity() {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::Arc;
        let i = Arc::new(Interrupt::default());
        // (Miri checks the orderings; it cannot map the poll page.)
        if !cfg!(miri) {
            let _ = i.poll_address();
        }
        let done = Arc::new(AtomicBool::new(false));
        let last = Arc::new(AtomicU64::new(0));
        let requester = {
            let (i, done, last) = (i.clone(), done.clone(), last.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    // Always for an activity that is ending or over.
                    i.request_for(last.load(Ordering::SeqCst));
                }
            })
        };
        for _ in 0..if cfg!(miri) { 300 } else { 200_000 } {
            let serial = i.begin();
            // Every request so far was for an activity that has ended: a
            // fresh one starts with none ...
            assert!(!i.take(), "a late request reached a later activity");
            // ... then requests for this one may come, until it ends.
            last.store(serial, Ordering::SeqCst);
            i.end();
        }
        done.store(true, Ordering::Relaxed);
        requester.join().unwrap();
        // Nothing is left after the last one.
        assert!(!i.is_requested());
        #[cfg(all(target_os = "linux", not(miri)))]
        assert_eq!(
            crate::test_support::permissions_at(i.poll_address() as usize),
            "r--p"
        );
    }
}
