//! A zero-initialized byte buffer that never aborts the process when memory is short.
//!
//! Linear memories can be gigabytes; `vec![0; n]` would abort on allocation failure
//! and `Vec::resize` would touch every page. This buffer allocates with
//! `alloc_zeroed` (lazily committed zero pages on common platforms), reports failure
//! as `None`, and keeps its bytes at a stable address until it is grown past its
//! capacity.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr::NonNull;
/// How many buffers hold a reservation (kept spares not counted).
static RESERVED_BUFFERS: crate::sharded::Counter = crate::sharded::Counter::new();

/// How many linear memories of this process hold an address-space reservation:
/// on an engine that relies on guard pages each holds about 8 GiB of address
/// space, elsewhere each growable memory its maximum (so it grows in place), so
/// this must go down again as memories are freed.
pub fn reserved_memories() -> usize {
    RESERVED_BUFFERS.sum()
}

/// Zeroed heap bytes: `len` usable, `capacity` allocated (and zero beyond `len`).
///
/// Or, when `reserved` is non-zero, a reservation of that many bytes of address
/// space of which the first `len` are readable and writable and the rest
/// inaccessible (guard pages): it grows in place up to `capacity` and never
/// moves, and any access past `len` faults.
pub(crate) struct ZeroedBuffer {
    ptr: NonNull<u8>,
    len: usize,
    capacity: usize,
    reserved: usize,
}

// SAFETY: the buffer owns its allocation exclusively, like a `Vec<u8>`.
unsafe impl Send for ZeroedBuffer {}
// SAFETY: shared access only reads through `as_slice`; mutation needs `&mut self`.
unsafe impl Sync for ZeroedBuffer {}

impl ZeroedBuffer {
    /// A buffer of `len` zero bytes with room for `capacity`; `None` if it cannot be allocated.
    pub(crate) fn new(len: usize, capacity: usize) -> Option<Self> {
        let capacity = capacity.max(len);
        if capacity == 0 {
            return Some(Self {
                ptr: NonNull::dangling(),
                len: 0,
                capacity: 0,
                reserved: 0,
            });
        }
        let layout = Layout::from_size_align(capacity, 16).ok()?;
        // SAFETY: the layout has a non-zero size.
        let ptr = NonNull::new(unsafe { alloc_zeroed(layout) })?;
        Some(Self {
            ptr,
            len,
            capacity,
            reserved: 0,
        })
    }

    /// A buffer of `len` zero bytes at the start of a reservation of `reserve`
    /// bytes of address space, growable in place up to `max_len` (at most
    /// `reserve`); `None` if the address space cannot be reserved. `len` and
    /// `max_len` must be multiples of the page size.
    #[cfg(unix)]
    pub(crate) fn reserve(len: usize, max_len: usize, reserve: usize) -> Option<Self> {
        use rustix::mm::{mmap_anonymous, MapFlags, ProtFlags};
        if len > max_len || max_len > reserve || reserve == 0 {
            return None;
        }
        if let Some(free) = spare::take(reserve) {
            let mut buffer = Self {
                ptr: free.ptr,
                len: free.accessible,
                capacity: max_len,
                reserved: reserve,
            };
            // On failure the buffer is dropped, which unmaps it.
            RESERVED_BUFFERS.add(1);
            if !buffer.unprotect_past(len) || !buffer.protect(len) {
                return None;
            }
            buffer.len = len;
            return Some(buffer);
        }
        let map = || {
            // SAFETY: a fresh anonymous mapping at an address of the kernel's
            // choosing aliases no Rust object; it is inaccessible until
            // `protect` opens it.
            unsafe {
                mmap_anonymous(
                    std::ptr::null_mut(),
                    reserve,
                    ProtFlags::empty(),
                    MapFlags::PRIVATE | MapFlags::NORESERVE,
                )
            }
        };
        // Out of address space (a limit on it, say): give back the kept
        // reservations and try once more.
        let raw = map()
            .or_else(|_| {
                spare::release_all();
                map()
            })
            .ok()?;
        let mut buffer = Self {
            ptr: NonNull::new(raw.cast())?,
            len: 0,
            capacity: max_len,
            reserved: reserve,
        };
        RESERVED_BUFFERS.add(1);
        if !buffer.protect(len) {
            return None;
        }
        buffer.len = len;
        Some(buffer)
    }

    #[cfg(not(unix))]
    pub(crate) fn reserve(_len: usize, _max_len: usize, _reserve: usize) -> Option<Self> {
        None
    }

    /// Makes bytes `len..new_len` of a reservation readable and writable.
    #[cfg(unix)]
    fn protect(&mut self, new_len: usize) -> bool {
        use rustix::mm::{mprotect, MprotectFlags};
        if new_len <= self.len {
            return true;
        }
        // SAFETY: the range lies inside the reservation made in `reserve`
        // (`new_len <= capacity <= reserved`), which no Rust reference covers
        // beyond `len`; fresh anonymous pages read as zero.
        unsafe {
            mprotect(
                self.ptr.as_ptr().add(self.len).cast(),
                new_len - self.len,
                MprotectFlags::READ | MprotectFlags::WRITE,
            )
        }
        .is_ok()
    }

    #[cfg(not(unix))]
    fn protect(&mut self, _new_len: usize) -> bool {
        false
    }

    /// Makes bytes `new_len..len` of a reservation inaccessible again and the
    /// buffer `new_len` long (a reused reservation that was longer).
    #[cfg(unix)]
    fn unprotect_past(&mut self, new_len: usize) -> bool {
        use rustix::mm::{mprotect, MprotectFlags};
        if new_len >= self.len {
            return true;
        }
        // SAFETY: the range lies inside the reservation, and nothing borrows
        // the buffer while it is being set up.
        let done = unsafe {
            mprotect(
                self.ptr.as_ptr().add(new_len).cast(),
                self.len - new_len,
                MprotectFlags::empty(),
            )
        }
        .is_ok();
        if done {
            self.len = new_len;
        }
        done
    }

    /// The bytes of address space reserved (0 for a heap buffer).
    pub(crate) fn reserved(&self) -> usize {
        self.reserved
    }

    /// Makes the buffer `new_len` bytes long (never shorter); the new bytes are zero.
    /// Capacity grows geometrically (never past `max_len`), so growing step by step
    /// costs amortized linear time. Returns false, leaving the buffer unchanged, if
    /// memory cannot be allocated.
    pub(crate) fn grow_to(&mut self, new_len: usize, max_len: usize) -> bool {
        debug_assert!(new_len >= self.len);
        if self.reserved != 0 {
            if new_len > self.capacity || !self.protect(new_len) {
                return false;
            }
            self.len = new_len;
            return true;
        }
        if new_len <= self.capacity {
            // Bytes between len and capacity were zeroed at allocation and never exposed.
            self.len = new_len;
            return true;
        }
        let doubled = self.capacity.saturating_mul(2).min(max_len).max(new_len);
        let Some(mut bigger) = Self::new(new_len, doubled).or_else(|| Self::new(new_len, new_len))
        else {
            return false;
        };
        bigger.as_mut_slice()[..self.len].copy_from_slice(self.as_slice());
        *self = bigger;
        true
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr` is valid for `capacity >= len` initialized (zeroed) bytes, or dangling
        // with len 0; the borrow of `self` keeps the allocation alive and unmodified.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes this the only access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for ZeroedBuffer {
    fn drop(&mut self) {
        #[cfg(unix)]
        if self.reserved != 0 {
            RESERVED_BUFFERS.add(-1);
            if spare::keep(self.ptr, self.len, self.reserved) {
                return;
            }
            // SAFETY: unmaps exactly the reservation made in `reserve`; the
            // buffer is being dropped, so nothing borrows it.
            let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.reserved) };
            return;
        }
        if self.capacity != 0 {
            // SAFETY: allocated in `new` with exactly this layout (it was valid then).
            unsafe {
                dealloc(
                    self.ptr.as_ptr(),
                    Layout::from_size_align_unchecked(self.capacity, 16),
                )
            }
        }
    }
}

/// Reservations of dropped memories, kept for the next ones.
///
/// Mapping and unmapping an 8 GiB reservation costs far more than the memory's
/// first page (the kernel builds and tears down the page tables and the
/// mapping), so instantiating and dropping instances in a loop spent most of its
/// time there. A dropped reservation's pages are discarded instead
/// (`MADV_DONTNEED`: they read as zero again and give their memory back), and
/// the next reservation of the same size reuses it, changing only the
/// protection of the pages between the old and the new length.
#[cfg(unix)]
mod spare {
    use std::ptr::NonNull;
    use std::sync::Mutex;

    /// At most this many reservations are kept: enough for a batch of a
    /// thousand instances alive together. They hold address space (8 TiB of
    /// the 128 TiB of x86-64 user space at 8 GiB each) and two mappings each,
    /// but no memory: their pages are discarded. When address space runs out
    /// they are given back ([`release_all`]).
    const KEEP: usize = 1024;

    /// Reservations with at most this many accessible bytes are zeroed by
    /// writing (at most [`KEEP`] times this stays resident), larger ones by
    /// discarding their pages.
    const ZERO_IN_PLACE: usize = 128 << 10;

    /// A kept reservation: its first `accessible` bytes readable, writable and
    /// zero, the rest inaccessible.
    pub(super) struct Spare {
        pub(super) ptr: NonNull<u8>,
        pub(super) accessible: usize,
        reserved: usize,
    }

    // SAFETY: a kept reservation is owned by the list alone: no buffer, and no
    // reference, points into it until `take` hands it to exactly one buffer.
    unsafe impl Send for Spare {}

    static SPARES: Mutex<Vec<Spare>> = Mutex::new(Vec::new());

    /// How many reservations a thread keeps for itself before the shared list.
    /// A server thread that instantiates, calls and drops an instance per
    /// request gets back the reservation it just zeroed, still in its core's
    /// cache, without taking the shared lock; with only the shared list, two
    /// threads took each other's reservations and zeroed them through the
    /// other core's cache.
    const LOCAL_KEEP: usize = 4;

    /// A thread's own kept reservations; given to the shared list (or
    /// unmapped) when the thread exits.
    struct Local(Vec<Spare>);

    impl Drop for Local {
        fn drop(&mut self) {
            for spare in self.0.drain(..) {
                give_back(spare);
            }
        }
    }

    std::thread_local! {
        static LOCAL: std::cell::RefCell<Local> =
            const { std::cell::RefCell::new(Local(Vec::new())) };
    }

    /// Puts `spare` on the shared list, or unmaps it when the list is full.
    fn give_back(spare: Spare) {
        let mut spares = SPARES.lock().unwrap_or_else(|e| e.into_inner());
        if spares.len() < KEEP {
            spares.push(spare);
            return;
        }
        drop(spares);
        // SAFETY: a kept reservation belongs to its list alone (see `Spare`).
        let _ = unsafe { rustix::mm::munmap(spare.ptr.as_ptr().cast(), spare.reserved) };
    }

    /// A kept reservation of `reserved` bytes, if there is one: the calling
    /// thread's own first.
    pub(super) fn take(reserved: usize) -> Option<Spare> {
        let local = LOCAL
            .try_with(|local| {
                let mut local = local.try_borrow_mut().ok()?;
                let i = local.0.iter().rposition(|s| s.reserved == reserved)?;
                Some(local.0.swap_remove(i))
            })
            .ok()
            .flatten();
        if local.is_some() {
            return local;
        }
        let mut spares = SPARES.lock().unwrap_or_else(|e| e.into_inner());
        let i = spares.iter().rposition(|s| s.reserved == reserved)?;
        Some(spares.swap_remove(i))
    }

    /// Unmaps every reservation kept by the shared list and the calling
    /// thread (other threads' own few stay theirs).
    pub(super) fn release_all() {
        let _ = LOCAL.try_with(|local| {
            if let Ok(mut local) = local.try_borrow_mut() {
                for spare in local.0.drain(..) {
                    // SAFETY: a kept reservation belongs to its list alone (see `Spare`).
                    let _ =
                        unsafe { rustix::mm::munmap(spare.ptr.as_ptr().cast(), spare.reserved) };
                }
            }
        });
        let spares = std::mem::take(&mut *SPARES.lock().unwrap_or_else(|e| e.into_inner()));
        for spare in spares {
            // SAFETY: a kept reservation belongs to the list alone (see `Spare`).
            let _ = unsafe { rustix::mm::munmap(spare.ptr.as_ptr().cast(), spare.reserved) };
        }
    }

    /// Keeps the reservation at `ptr` (of `reserved` bytes, the first
    /// `accessible` of them readable and writable) for reuse, its pages
    /// discarded; false if it was not kept and must be unmapped.
    pub(super) fn keep(ptr: NonNull<u8>, accessible: usize, reserved: usize) -> bool {
        let local_room = LOCAL
            .try_with(|local| local.try_borrow().is_ok_and(|l| l.0.len() < LOCAL_KEEP))
            .unwrap_or(false);
        if !local_room && SPARES.lock().unwrap_or_else(|e| e.into_inner()).len() >= KEEP {
            return false;
        }
        // Zeroed outside the lock. A small one is zeroed by writing:
        // discarding pages makes every core running this process flush them
        // from its TLB, which costs threads instantiating in parallel far more
        // than writing the zeros.
        let zeroed = if accessible <= ZERO_IN_PLACE {
            // SAFETY: the range is the accessible (readable, writable) part of
            // a private anonymous reservation whose buffer is being dropped, so
            // nothing borrows it.
            unsafe { std::ptr::write_bytes(ptr.as_ptr(), 0, accessible) };
            true
        } else {
            // SAFETY: as above; discarding its pages makes them read as zero on
            // the next access.
            unsafe {
                rustix::mm::madvise(
                    ptr.as_ptr().cast(),
                    accessible,
                    rustix::mm::Advice::LinuxDontNeed,
                )
            }
            .is_ok()
        };
        if !zeroed {
            return false;
        }
        let spare = Spare {
            ptr,
            accessible,
            reserved,
        };
        // Small (zeroed by writing, so cache-warm) ones stay with this thread
        // while it has room.
        let spare = if accessible <= ZERO_IN_PLACE {
            match LOCAL.try_with(|local| match local.try_borrow_mut() {
                Ok(mut local) if local.0.len() < LOCAL_KEEP => {
                    local.0.push(spare);
                    None
                }
                _ => Some(spare),
            }) {
                Ok(None) => return true,
                Ok(Some(spare)) => spare,
                // The thread is exiting and its list is gone: the closure
                // (and `spare`, which owns nothing on drop) went unused; the
                // caller unmaps the reservation.
                Err(_) => return false,
            }
        } else {
            spare
        };
        let mut spares = SPARES.lock().unwrap_or_else(|e| e.into_inner());
        if spares.len() >= KEEP {
            return false;
        }
        spares.push(spare);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::ZeroedBuffer;

    #[test]
    fn grows_with_zeroes_and_keeps_contents() {
        let mut b = ZeroedBuffer::new(4, 8).unwrap();
        b.as_mut_slice().copy_from_slice(b"abcd");
        let before = b.as_ptr();
        assert!(b.grow_to(8, 1000));
        assert_eq!(b.as_ptr(), before, "growth within capacity does not move");
        assert_eq!(b.as_slice(), b"abcd\0\0\0\0");
        assert!(b.grow_to(100, 1000));
        assert!(b.capacity >= 100 && b.capacity <= 1000);
        assert_eq!(&b.as_slice()[..4], b"abcd");
        assert!(b.as_slice()[4..].iter().all(|&x| x == 0));
    }

    #[cfg(unix)]
    #[test]
    fn a_reservation_grows_in_place_and_guards_the_rest() {
        let page = 65536;
        let mut b = ZeroedBuffer::reserve(page, 4 * page, 1 << 33).unwrap();
        assert_eq!(b.reserved(), 1 << 33);
        b.as_mut_slice()[..4].copy_from_slice(b"abcd");
        let before = b.as_ptr();
        assert!(b.grow_to(3 * page, 4 * page));
        assert_eq!(b.as_ptr(), before);
        assert_eq!(&b.as_slice()[..4], b"abcd");
        assert!(b.as_slice()[4..].iter().all(|&x| x == 0));
        assert!(!b.grow_to(5 * page, 8 * page), "past the capacity");
        assert_eq!(b.len(), 3 * page);
        assert!(ZeroedBuffer::reserve(2 * page, page, 1 << 20).is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_dropped_reservation_is_reused_zeroed_and_guarded() {
        use crate::test_support::permissions_at;
        let page = 65536;
        // A size of its own, so that other tests do not take the reservation.
        let reserve = (1 << 33) + 7 * page;
        let mut b = ZeroedBuffer::reserve(3 * page, 4 * page, reserve).unwrap();
        b.as_mut_slice().fill(0xAB);
        let first = b.as_ptr() as usize;
        drop(b);
        let b = ZeroedBuffer::reserve(page, 4 * page, reserve).unwrap();
        assert_eq!(b.as_ptr() as usize, first, "the reservation is reused");
        assert_eq!(b.len(), page);
        assert!(
            b.as_slice().iter().all(|&x| x == 0),
            "its pages read as zero"
        );
        assert_eq!(permissions_at(first + page - 1), "rw-p");
        assert_eq!(
            permissions_at(first + page),
            "---p",
            "guarded past the length"
        );
        assert_eq!(permissions_at(first + 3 * page), "---p");
        drop(b);
        let mut b = ZeroedBuffer::reserve(2 * page, 4 * page, reserve).unwrap();
        assert_eq!(b.as_ptr() as usize, first);
        assert!(b.as_slice().iter().all(|&x| x == 0));
        assert!(b.grow_to(4 * page, 4 * page));
        assert!(b.as_slice().iter().all(|&x| x == 0), "grown pages are zero");
        assert_eq!(permissions_at(first + 4 * page), "---p");
    }

    #[test]
    fn a_thread_keeps_its_own_reservation_and_hands_it_over_when_it_exits() {
        let page = 65536;
        // A size of its own, so that other tests do not take the reservation.
        let reserve = (1 << 33) + 9 * page;
        let first = std::thread::spawn(move || {
            let mut b = ZeroedBuffer::reserve(page, page, reserve).unwrap();
            b.as_mut_slice().fill(0xCD);
            let first = b.as_ptr() as usize;
            drop(b);
            // Kept by this thread: another thread does not get it meanwhile.
            let other = std::thread::spawn(move || {
                let b = ZeroedBuffer::reserve(page, page, reserve).unwrap();
                b.as_ptr() as usize
            })
            .join()
            .unwrap();
            assert_ne!(other, first, "another thread took this thread's spare");
            let again = ZeroedBuffer::reserve(page, page, reserve).unwrap();
            assert_eq!(again.as_ptr() as usize, first, "the thread reuses its own");
            assert!(again.as_slice().iter().all(|&x| x == 0));
            drop(again);
            first
        })
        .join()
        .unwrap();
        // The thread exited: its spare went to the shared list (the other
        // thread's too, in either order).
        let a = ZeroedBuffer::reserve(page, page, reserve).unwrap();
        let b = ZeroedBuffer::reserve(page, page, reserve).unwrap();
        assert!(
            [a.as_ptr() as usize, b.as_ptr() as usize].contains(&first),
            "the exited thread's spare is reused"
        );
        assert!(a.as_slice().iter().all(|&x| x == 0));
        assert!(b.as_slice().iter().all(|&x| x == 0));
    }

    #[test]
    fn impossible_sizes_fail_cleanly() {
        assert!(ZeroedBuffer::new(usize::MAX - 8, 0).is_none());
        let mut b = ZeroedBuffer::new(0, 0).unwrap();
        assert!(!b.grow_to(usize::MAX - 8, usize::MAX));
        assert_eq!(b.len(), 0);
    }
}
