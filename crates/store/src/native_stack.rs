//! Where the native stack of the calling thread ends, for engines that must
//! stop before overflowing it: the compiler, whose code runs on it, and the
//! interpreter, each of whose entries (one per host-to-guest call nested
//! through host functions) uses some of it.

/// An address in the caller's frame: the stack pointer, near enough.
#[inline(never)]
pub fn stack_pointer() -> usize {
    let here = 0u8;
    std::hint::black_box(&here) as *const u8 as usize
}

/// The lowest address of this thread's stack, if the platform tells.
#[cfg(target_os = "linux")]
pub fn stack_low() -> Option<usize> {
    thread_local! {
        static LOW: Option<usize> = query_stack_low();
    }
    LOW.with(|l| *l)
}

#[cfg(target_os = "linux")]
fn query_stack_low() -> Option<usize> {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: `pthread_getattr_np` initializes `attr` for the calling thread when
    // it returns 0; it is read only then, and destroyed exactly once.
    unsafe {
        if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
            return None;
        }
        let mut addr = std::ptr::null_mut();
        let mut size = 0;
        let ok = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        ok.then_some(addr as usize)
    }
}

/// The lowest address of this thread's stack, if the platform tells.
#[cfg(not(target_os = "linux"))]
pub fn stack_low() -> Option<usize> {
    None
}
