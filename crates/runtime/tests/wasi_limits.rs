//! What a guest can make the host spend through WASI stays bounded: a
//! directory listing costs a descriptor no more than one batch of entries,
//! however large the directory and however many descriptors list it.
//!
//! Resident memory is read from `/proc/self/statm`, so this file holds one
//! test: no other test's allocations run beside it.

mod wasi_driver;
use wasi_driver::*;

use wazero::{FsConfig, MemFs};

mod process;
use process::resident;

/// 400 descriptors each list the first entries of a directory of 5,000 entries
/// with 200-byte names (1.25 MB of names). A descriptor that kept a copy of
/// the listing would hold 500 MB in all; a stream holds a few KiB each.
#[test]
fn listing_a_huge_directory_from_many_descriptors_costs_little() {
    const ENTRIES: usize = 5_000;
    const DESCRIPTORS: usize = 400;
    let host = TempDir::new();
    let mem = MemFs::new();
    std::fs::create_dir_all(host.0.join("big")).unwrap();
    for i in 0..ENTRIES {
        let name = format!("{i:05}-{}", "x".repeat(194));
        std::fs::write(host.0.join("big").join(&name), b"").unwrap();
        mem.write_file(&format!("big/{name}"), b"").unwrap();
    }
    let driver = Driver::with_fs(
        FsConfig::new()
            .with_dir_mount(&host.0, "/host")
            .with_mem_fs(mem, "/mem"),
    );
    for (mount, fd) in [("host", 3), ("mem", 4)] {
        // A full listing works, through many small batches.
        let dir = driver
            .open(fd, "big", O_DIRECTORY, R_FD_READDIR, 0)
            .unwrap();
        assert_eq!(driver.list(dir, 4096).len(), ENTRIES + 2, "{mount}");
        driver.ok("fd_close", &[u64::from(dir)]);

        let before = resident();
        let mut fds = Vec::new();
        for _ in 0..DESCRIPTORS {
            let dir = driver
                .open(fd, "big", O_DIRECTORY, R_FD_READDIR, 0)
                .unwrap();
            let (entries, _) = driver.readdir(dir, 1024, 0);
            assert!(entries.len() >= 3, "{mount}: . .. and a first entry");
            fds.push(dir);
        }
        let grown = resident().saturating_sub(before);
        assert!(
            grown < 64 << 20,
            "{mount}: {DESCRIPTORS} listings grew the process by {} MB",
            grown >> 20
        );
        for dir in fds {
            driver.ok("fd_close", &[u64::from(dir)]);
        }
    }
}
