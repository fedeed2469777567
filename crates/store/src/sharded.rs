//! State that many threads change and few read, split so that threads do not
//! bounce one cache line between cores: each thread works on its own shard
//! (chosen once per thread), and readers combine all of them.
//!
//! A server instantiating and dropping an instance per request on every core
//! would otherwise write the same line from every core a few times per
//! request; on two cores that alone cost a fifth of the compiler's request
//! throughput (`cargo xtask bench parallel`).

use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

/// How many shards: enough that threads rarely share one.
pub const SHARDS: usize = 16;

/// The calling thread's shard, in `0..SHARDS`.
pub fn shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.try_with(|s| *s).unwrap_or(0)
}

/// One value on a cache line of its own (128 bytes: adjacent-line
/// prefetchers fetch lines in pairs).
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Padded<T>(pub T);

/// A count changed by many threads: each adds to its own shard.
#[derive(Debug)]
pub struct Counter {
    shards: [Padded<AtomicIsize>; SHARDS],
}

impl Counter {
    /// Zero.
    pub const fn new() -> Self {
        Self {
            shards: [const { Padded(AtomicIsize::new(0)) }; SHARDS],
        }
    }

    /// Adds `delta` (on the calling thread's shard).
    pub fn add(&self, delta: isize) {
        self.shards[shard()].0.fetch_add(delta, Ordering::Relaxed);
    }

    /// The sum of every shard (a shard alone may be negative: what one thread
    /// added another may have taken away).
    pub fn sum(&self) -> usize {
        let total: isize = self
            .shards
            .iter()
            .map(|s| s.0.load(Ordering::Relaxed))
            .sum();
        total.max(0) as usize
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::Counter;

    #[test]
    fn a_count_changed_on_many_threads_sums_up() {
        let counter = std::sync::Arc::new(Counter::new());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let counter = counter.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        counter.add(2);
                    }
                    counter.add(-(t as isize));
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(counter.sum(), 16_000 - 28);
        // Taken away on a thread that added nothing: the sum still holds.
        std::thread::scope(|s| {
            s.spawn(|| counter.add(-16_000));
        });
        assert_eq!(counter.sum(), 0, "negative sums read as zero");
    }
}
