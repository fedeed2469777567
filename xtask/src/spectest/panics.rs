//! Turning panics inside the runtime into failed assertions.
//!
//! [`catch`] runs a closure under `catch_unwind`. The panic hook installed by
//! [`install_hook`] keeps quiet on spec test threads and remembers the message with
//! its location instead, so the failure reads `PANIC: <message> at <file:line>`.
//! Panics on other threads go to the previous hook as usual.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// Threads whose names start with this report panics as failures.
pub const THREAD_PREFIX: &str = "spectest";

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the panic hook (once per process).
pub fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let on_spectest_thread = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with(THREAD_PREFIX));
            if !on_spectest_thread {
                previous(info);
                return;
            }
            let message = payload_text(info.payload());
            let text = match info.location() {
                Some(l) => format!("{message} at {}:{}", l.file(), l.line()),
                None => message,
            };
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
        }));
    });
}

/// Runs `f`; a panic becomes `Err("PANIC: ...")`.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    LAST_PANIC.with(|p| p.borrow_mut().take());
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let text = LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| payload_text(&*payload));
        format!("PANIC: {}", one_line(&text))
    })
}

/// The message of a panic payload.
fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// `text` on one line: line breaks become ` | `.
pub fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_message_with_its_location() {
        install_hook();
        let caught = std::thread::Builder::new()
            .name(format!("{THREAD_PREFIX}-test"))
            .spawn(|| catch(|| -> u32 { panic!("boom\nsecond line") }))
            .expect("thread starts")
            .join()
            .expect("the panic was caught");
        let message = caught.expect_err("it panicked");
        assert!(
            message.starts_with("PANIC: boom | second line at "),
            "{message}"
        );
        assert!(message.contains("panics.rs:"), "{message}");
        assert_eq!(catch(|| 7), Ok(7));
    }
}
