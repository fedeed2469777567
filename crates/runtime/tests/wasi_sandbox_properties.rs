//! Generated attacks on the WASI sandbox: random sequences of file-system
//! calls (opens with every flag and right, writes, truncation, hard links,
//! renames and symbolic links across a read-only and a writable mount, set
//! times, removals, many descriptors at once, renumbering, closing), with
//! paths that try `..`, absolute names, trailing slashes and links, on host
//! directories and on `MemFs` alike.
//!
//! What must hold after every sequence: each call answered an errno (never a
//! panic or a trap), the read-only mount is exactly as it was (names, kinds,
//! contents, link targets, modification times), and nothing appeared next to
//! the mounts. Runs are deterministic (fixed seed); `PROPTEST_CASES` and
//! `PROPTEST_RNG_SEED` run more or others.

mod wasi_driver;
use wasi_driver::*;

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use wazero::{FsConfig, MemFs};

/// The read-only mount and the writable one.
const RO_FD: u32 = 3;
const RW_FD: u32 = 4;

/// Paths a guest may try, good and bad.
const PATHS: &[&str] = &[
    "f",
    "g",
    "d",
    "d/f",
    "d/g",
    "l",
    "dl",
    "d/../f",
    "f/",
    "d/",
    "..",
    "../ro/f",
    "../rw/f",
    "/etc/passwd",
    ".",
    "l/f",
    "dl/f",
    "d/..",
    "",
];

/// Symbolic link targets a guest may try.
const TARGETS: &[&str] = &[
    "f", "d", "d/f", "..", "../ro/f", "/etc", "l", "dl/../f", "nowhere",
];

#[derive(Debug, Clone)]
enum Op {
    Open {
        ro: bool,
        path: usize,
        oflags: u32,
        rights: u64,
        append: bool,
        follow: bool,
        /// Bytes to write at once through what was opened.
        write: usize,
    },
    Write {
        fd: usize,
        len: usize,
        at: Option<u64>,
    },
    SetSize {
        fd: usize,
        size: u64,
    },
    SetTimes {
        ro: bool,
        path: usize,
        follow: bool,
    },
    FdSetTimes {
        fd: usize,
    },
    Link {
        from_ro: bool,
        from: usize,
        to_ro: bool,
        to: usize,
        follow: bool,
    },
    Rename {
        from_ro: bool,
        from: usize,
        to_ro: bool,
        to: usize,
    },
    Symlink {
        ro: bool,
        target: usize,
        path: usize,
    },
    Unlink {
        ro: bool,
        path: usize,
    },
    Rmdir {
        ro: bool,
        path: usize,
    },
    Mkdir {
        ro: bool,
        path: usize,
    },
    OpenMany {
        ro: bool,
        n: usize,
    },
    Close {
        fd: usize,
    },
    Renumber {
        from: usize,
        to: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    // Half the time one of the names that exist in both mounts, else any.
    let path = prop_oneof![0usize..6, 0..PATHS.len()];
    let fd = 0usize..12;
    prop_oneof![
        (
            any::<bool>(),
            path.clone(),
            0u32..16,
            prop_oneof![
                Just(0u64),
                Just(R_FD_READ),
                Just(R_FD_WRITE),
                Just(R_FD_READ | R_FD_WRITE),
                Just(R_FD_FILESTAT_SET_SIZE),
                Just(R_FD_ALLOCATE | R_FD_DATASYNC),
            ],
            any::<bool>(),
            any::<bool>(),
            0usize..8
        )
            .prop_map(
                |(ro, path, oflags, rights, append, follow, write)| Op::Open {
                    ro,
                    path,
                    oflags,
                    rights,
                    append,
                    follow,
                    write
                }
            ),
        (fd.clone(), 0usize..100, prop::option::of(0u64..200))
            .prop_map(|(fd, len, at)| Op::Write { fd, len, at }),
        (fd.clone(), 0u64..300).prop_map(|(fd, size)| Op::SetSize { fd, size }),
        (any::<bool>(), path.clone(), any::<bool>()).prop_map(|(ro, path, follow)| Op::SetTimes {
            ro,
            path,
            follow
        }),
        fd.clone().prop_map(|fd| Op::FdSetTimes { fd }),
        (
            any::<bool>(),
            path.clone(),
            any::<bool>(),
            path.clone(),
            any::<bool>()
        )
            .prop_map(|(from_ro, from, to_ro, to, follow)| Op::Link {
                from_ro,
                from,
                to_ro,
                to,
                follow
            }),
        (any::<bool>(), path.clone(), any::<bool>(), path.clone()).prop_map(
            |(from_ro, from, to_ro, to)| Op::Rename {
                from_ro,
                from,
                to_ro,
                to
            }
        ),
        (any::<bool>(), 0..TARGETS.len(), path.clone())
            .prop_map(|(ro, target, path)| Op::Symlink { ro, target, path }),
        (any::<bool>(), path.clone()).prop_map(|(ro, path)| Op::Unlink { ro, path }),
        (any::<bool>(), path.clone()).prop_map(|(ro, path)| Op::Rmdir { ro, path }),
        (any::<bool>(), path.clone()).prop_map(|(ro, path)| Op::Mkdir { ro, path }),
        (any::<bool>(), 1usize..40).prop_map(|(ro, n)| Op::OpenMany { ro, n }),
        fd.clone().prop_map(|fd| Op::Close { fd }),
        (fd.clone(), fd).prop_map(|(from, to)| Op::Renumber { from, to }),
    ]
}

fn mount(ro: bool) -> u32 {
    if ro {
        RO_FD
    } else {
        RW_FD
    }
}

/// Runs `ops`; every call must answer an errno (the driver panics on a trap).
fn run(d: &Driver, ops: &[Op]) {
    // Descriptors opened so far; slots index into it (and the two mounts).
    let mut fds: Vec<u32> = vec![RO_FD, RW_FD];
    let pick = |fds: &Vec<u32>, i: usize| fds[i % fds.len()];
    for op in ops {
        match op {
            Op::Open {
                ro,
                path,
                oflags,
                rights,
                append,
                follow,
                write,
            } => {
                let [p, len] = d.path(PATHS[*path]);
                let flags = if *append { FD_APPEND } else { 0 };
                let params = [
                    u64::from(mount(*ro)),
                    u64::from(*follow),
                    p,
                    len,
                    u64::from(*oflags),
                    *rights,
                    0,
                    u64::from(flags),
                    4000,
                ];
                if d.call("path_open", &params) == 0 {
                    let fd = d.u32_at(4000);
                    fds.push(fd);
                    if *write > 0 {
                        let _ = d.write(fd, &vec![b'!'; *write], None);
                    }
                }
            }
            Op::Write { fd, len, at } => {
                let _ = d.write(pick(&fds, *fd), &vec![b'x'; *len], *at);
            }
            Op::SetSize { fd, size } => {
                d.call("fd_filestat_set_size", &[u64::from(pick(&fds, *fd)), *size]);
            }
            Op::SetTimes { ro, path, follow } => {
                let [p, len] = d.path(PATHS[*path]);
                d.call(
                    "path_filestat_set_times",
                    &[
                        u64::from(mount(*ro)),
                        u64::from(*follow),
                        p,
                        len,
                        1_000_000_000,
                        2_000_000_000,
                        u64::from(FST_ATIM | FST_MTIM),
                    ],
                );
            }
            Op::FdSetTimes { fd } => {
                d.call(
                    "fd_filestat_set_times",
                    &[u64::from(pick(&fds, *fd)), 0, 0, u64::from(FST_MTIM_NOW)],
                );
            }
            Op::Link {
                from_ro,
                from,
                to_ro,
                to,
                follow,
            } => {
                d.link(
                    mount(*from_ro),
                    u32::from(*follow),
                    PATHS[*from],
                    mount(*to_ro),
                    PATHS[*to],
                );
            }
            Op::Rename {
                from_ro,
                from,
                to_ro,
                to,
            } => {
                d.rename(mount(*from_ro), PATHS[*from], mount(*to_ro), PATHS[*to]);
            }
            Op::Symlink { ro, target, path } => {
                d.symlink(TARGETS[*target], mount(*ro), PATHS[*path]);
            }
            Op::Unlink { ro, path } => {
                d.unlink(mount(*ro), PATHS[*path]);
            }
            Op::Rmdir { ro, path } => {
                d.rmdir(mount(*ro), PATHS[*path]);
            }
            Op::Mkdir { ro, path } => {
                let [p, len] = d.path(PATHS[*path]);
                d.call("path_create_directory", &[u64::from(mount(*ro)), p, len]);
            }
            Op::OpenMany { ro, n } => {
                for _ in 0..*n {
                    match d.open(mount(*ro), ".", O_DIRECTORY, R_FD_READDIR, 0) {
                        Ok(fd) => fds.push(fd),
                        Err(_) => break,
                    }
                }
            }
            Op::Close { fd } => {
                d.call("fd_close", &[u64::from(pick(&fds, *fd))]);
            }
            Op::Renumber { from, to } => {
                d.call(
                    "fd_renumber",
                    &[u64::from(pick(&fds, *from)), u64::from(pick(&fds, *to))],
                );
            }
        }
    }
}

/// Everything a host directory holds: per relative path, what it is.
fn snapshot_host(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(at) = todo.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mtime = meta.modified().ok();
            let what = if meta.is_symlink() {
                format!("link {}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                todo.push(path.clone());
                format!("dir {mtime:?}")
            } else {
                format!(
                    "file {:?} {mtime:?} nlink {}",
                    std::fs::read(&path).unwrap(),
                    std::os::unix::fs::MetadataExt::nlink(&meta)
                )
            };
            out.insert(name, what);
        }
    }
    out
}

/// Everything a `MemFs` holds: per path, its contents (directories: their
/// entries).
fn snapshot_mem(fs: &MemFs) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut todo = vec![String::new()];
    while let Some(at) = todo.pop() {
        for name in fs.read_dir(&at).unwrap_or_default() {
            let path = if at.is_empty() {
                name
            } else {
                format!("{at}/{name}")
            };
            match fs.read_dir(&path) {
                Some(entries) => {
                    out.insert(path.clone(), format!("dir {entries:?}"));
                    todo.push(path);
                }
                None => {
                    out.insert(path.clone(), format!("{:?}", fs.read_file(&path)));
                }
            }
        }
    }
    out
}

fn config() -> ProptestConfig {
    let defaults = ProptestConfig::default();
    let set = |name: &str| std::env::var_os(name).is_some();
    ProptestConfig {
        cases: if set("PROPTEST_CASES") {
            defaults.cases
        } else {
            160
        },
        rng_seed: if set("PROPTEST_RNG_SEED") {
            defaults.rng_seed
        } else {
            RngSeed::Fixed(0x7761_7a65_726f)
        },
        failure_persistence: None,
        ..defaults
    }
}

/// Fills a mount with a file, a directory with a file, and links to both.
fn populate_host(dir: &Path) {
    std::fs::write(dir.join("f"), b"precious").unwrap();
    std::fs::create_dir(dir.join("d")).unwrap();
    std::fs::write(dir.join("d/f"), b"inner").unwrap();
    std::os::unix::fs::symlink("f", dir.join("l")).unwrap();
    std::os::unix::fs::symlink("d", dir.join("dl")).unwrap();
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn host_read_only_mounts_never_change(ops in prop::collection::vec(op(), 1..40)) {
        let root = TempDir::new();
        let (ro, rw) = (root.0.join("ro"), root.0.join("rw"));
        std::fs::create_dir(&ro).unwrap();
        std::fs::create_dir(&rw).unwrap();
        populate_host(&ro);
        populate_host(&rw);
        let before = snapshot_host(&ro);
        let outside = snapshot_host(&root.0).keys().filter(|k| !k.contains('/')).cloned().collect::<Vec<_>>();
        let d = Driver::with_fs(
            FsConfig::new()
                .with_read_only_dir_mount(&ro, "/ro")
                .with_dir_mount(&rw, "/rw")
                .with_max_open_files(64),
        );
        run(&d, &ops);
        drop(d);
        prop_assert_eq!(snapshot_host(&ro), before);
        let now = snapshot_host(&root.0).keys().filter(|k| !k.contains('/')).cloned().collect::<Vec<_>>();
        prop_assert_eq!(now, outside, "nothing appears next to the mounts");
    }

    #[test]
    fn memfs_read_only_mounts_never_change(ops in prop::collection::vec(op(), 1..40)) {
        let (ro, rw) = (MemFs::new(), MemFs::new());
        for fs in [&ro, &rw] {
            fs.write_file("f", b"precious").unwrap();
            fs.write_file("d/f", b"inner").unwrap();
        }
        let before = snapshot_mem(&ro);
        let d = Driver::with_fs(
            FsConfig::new()
                .with_read_only_mem_fs(ro.clone(), "/ro")
                .with_mem_fs(rw, "/rw")
                .with_max_open_files(64),
        );
        run(&d, &ops);
        drop(d);
        prop_assert_eq!(snapshot_mem(&ro), before);
    }
}
