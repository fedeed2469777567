//! The WASI behaviours the official wasi-testsuite checks, each tested here
//! call by call, on a host directory and on a `MemFs` alike: rights never make
//! an open fail, the access mode shows in the rights, given-up rights are
//! enforced, `O_APPEND` with `pwrite`, trailing slashes, symbolic link loops,
//! `fd_readdir` cookies, `fstflags` validation, links and renames over existing
//! entries, closing and renumbering preopens, `fd_advise` and `fd_allocate`,
//! `isatty` on standard streams, non-blocking opens, the read-only mount
//! guarantee for hard links, and host file names that are not UTF-8.
//!
//! The calls go through the driver guest of `wasi_driver`.

mod wasi_driver;
use wasi_driver::*;
use wazero::{FsConfig, MemFs};

#[test]
fn rights_choose_the_access_mode_and_never_make_an_open_fail() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        let root = d.fdstat(ROOT).unwrap();
        assert_eq!(root.filetype, DIRECTORY);
        // A directory's own rights ask for no write access when passed back
        // to path_open (how wasi-libc and Rust's std reopen a directory).
        assert_eq!(
            root.base & (R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE | R_FD_DATASYNC),
            0,
            "{backend:?}"
        );
        assert_ne!(root.inheriting & (R_FD_READ | R_FD_WRITE), 0, "{backend:?}");
        for (rights, oflags) in [
            (0, O_DIRECTORY),
            (root.base, O_DIRECTORY),
            (root.base, 0),
            (0, 0),
            (R_FD_READ, O_DIRECTORY),
        ] {
            let fd = d.open(ROOT, ".", oflags, rights, 0);
            assert!(fd.is_ok(), "{backend:?} rights {rights:#x}: {fd:?}");
            assert_eq!(d.fdstat(fd.unwrap()).unwrap().filetype, DIRECTORY);
        }
        assert_eq!(
            d.open(ROOT, ".", O_DIRECTORY, R_FD_READ | R_FD_WRITE, 0),
            Err(EISDIR),
            "{backend:?}: a directory is not opened for writing"
        );
        // Creating with no rights at all creates, and opens for reading.
        let fd = d.open(ROOT, "new", O_CREAT, 0, 0).unwrap();
        assert_eq!(d.fdstat(fd).unwrap().filetype, REGULAR_FILE);
        assert_eq!(d.write(fd, b"x", None), Err(EBADF), "{backend:?}");
        assert_eq!(d.open(ROOT, "new", O_CREAT | O_EXCL, 0, 0), Err(EEXIST));
        // The access mode shows in the rights.
        d.create(ROOT, "f", b"abc");
        let ro = d.open(ROOT, "f", 0, R_FD_READ, 0).unwrap();
        let wo = d.open(ROOT, "f", 0, R_FD_WRITE, 0).unwrap();
        let rw = d.open(ROOT, "f", 0, R_FD_READ | R_FD_WRITE, 0).unwrap();
        let rights = |fd| d.fdstat(fd).unwrap().base & (R_FD_READ | R_FD_WRITE);
        assert_eq!(
            [rights(ro), rights(wo), rights(rw)],
            [R_FD_READ, R_FD_WRITE, R_FD_READ | R_FD_WRITE],
            "{backend:?}"
        );
        assert_eq!(d.read(wo, 10), Err(EBADF), "{backend:?}");
        assert_eq!(d.read(ro, 10), Ok(b"abc".to_vec()));
    }
}

#[test]
fn given_up_rights_are_enforced_and_cannot_come_back() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        d.create(ROOT, "f", b"data");
        let fd = d
            .open(ROOT, "f", 0, R_FD_READ | R_FD_WRITE | R_FD_SEEK, 0)
            .unwrap();
        let all = d.fdstat(fd).unwrap();
        let kept = all.base & !(R_FD_READ | R_FD_WRITE);
        d.ok("fd_fdstat_set_rights", &[u64::from(fd), kept, 0]);
        assert_eq!(d.fdstat(fd).unwrap().base, kept);
        assert_eq!(d.read(fd, 4), Err(ENOTCAPABLE), "{backend:?}");
        assert_eq!(d.write(fd, b"x", None), Err(ENOTCAPABLE), "{backend:?}");
        assert_eq!(d.seek(fd, 0, 0), Ok(0), "{backend:?}: seeking was kept");
        assert_eq!(
            d.call("fd_fdstat_set_rights", &[u64::from(fd), all.base, 0]),
            ENOTCAPABLE,
            "{backend:?}: rights cannot be added back"
        );
        // A directory that gave up an inheriting right cannot hand it out.
        let dir = d.open(ROOT, ".", O_DIRECTORY, 0, 0).unwrap();
        let st = d.fdstat(dir).unwrap();
        d.ok(
            "fd_fdstat_set_rights",
            &[u64::from(dir), st.base, st.inheriting & !R_FD_WRITE],
        );
        assert_eq!(d.open(dir, "f", 0, R_FD_WRITE, 0), Err(ENOTCAPABLE));
        assert!(d.open(dir, "f", 0, R_FD_READ, 0).is_ok(), "{backend:?}");
        // And one that gave up opening cannot open.
        d.ok(
            "fd_fdstat_set_rights",
            &[u64::from(dir), st.base & !R_PATH_OPEN, 0],
        );
        assert_eq!(d.open(dir, "f", 0, R_FD_READ, 0), Err(ENOTCAPABLE));
        assert_eq!(
            d.call("fd_fdstat_set_rights", &[99, 0, 0]),
            EBADF,
            "{backend:?}"
        );
    }
}

#[test]
fn append_writes_at_the_end_and_pwrite_keeps_the_position() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        let fd = d
            .open(
                ROOT,
                "log",
                O_CREAT | O_TRUNC,
                R_FD_WRITE | R_FD_SEEK | R_FD_TELL,
                FD_APPEND,
            )
            .unwrap_or_else(|e| panic!("{backend:?}: O_CREAT|O_TRUNC|O_APPEND: {e}"));
        assert_eq!(d.fdstat(fd).unwrap().flags & FD_APPEND as u16, 1);
        assert_eq!(d.write(fd, b"ab", None), Ok(2));
        assert_eq!(d.seek(fd, 0, 0), Ok(0));
        assert_eq!(d.write(fd, b"cd", None), Ok(2));
        assert_eq!(d.seek(fd, 0, 1), Ok(4), "{backend:?}: appended at the end");
        assert_eq!(d.write(fd, b"xyz", Some(0)), Ok(3));
        assert_eq!(d.seek(fd, 0, 1), Ok(4), "{backend:?}: pwrite moves nothing");
        let size = d.filestat(fd).unwrap().size;
        // POSIX writes at the offset; Linux appends with O_APPEND.
        assert!(size == 4 || size == 7, "{backend:?}: size {size}");
        d.ok("fd_close", &[u64::from(fd)]);
    }
}

#[test]
fn trailing_slashes_name_directories_only() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        d.create(ROOT, "file", b"");
        d.mkdir(ROOT, "dir");
        assert_eq!(d.open(ROOT, "file/", 0, R_FD_READ, 0), Err(ENOTDIR));
        assert!(d.open(ROOT, "dir/", 0, R_FD_READ, 0).is_ok());
        assert_eq!(d.unlink(ROOT, "file/"), ENOTDIR, "{backend:?}");
        assert_eq!(
            d.path_filestat(ROOT, "file/", FOLLOW).err(),
            Some(ENOTDIR),
            "{backend:?}"
        );
        assert_eq!(
            d.rename(ROOT, "file/", ROOT, "other"),
            ENOTDIR,
            "{backend:?}"
        );
        assert_eq!(d.rename(ROOT, "dir/", ROOT, "dir2/"), 0, "{backend:?}");
        assert_eq!(d.rmdir(ROOT, "dir2/"), 0, "{backend:?}");
        assert_eq!(d.unlink(ROOT, "file"), 0);
    }
}

#[test]
fn symlink_loops_end_in_eloop() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        assert_eq!(d.symlink("b", ROOT, "a"), 0);
        assert_eq!(d.symlink("a", ROOT, "b"), 0);
        assert_eq!(d.symlink("self", ROOT, "self"), 0);
        for path in ["a", "b", "self", "a/x"] {
            assert_eq!(
                d.open(ROOT, path, 0, R_FD_READ, 0),
                Err(ELOOP),
                "{backend:?} {path}"
            );
        }
        assert_eq!(d.path_filestat(ROOT, "a", FOLLOW).err(), Some(ELOOP));
        assert_eq!(
            d.path_filestat(ROOT, "a", 0).unwrap().filetype,
            SYMBOLIC_LINK
        );
    }
}

#[test]
fn readdir_cookies_resume_where_asked_and_list_dot_and_dotdot() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        d.mkdir(ROOT, "d");
        let names: Vec<String> = (0..40).map(|i| format!("entry-{i:02}")).collect();
        for name in &names {
            d.create(ROOT, &format!("d/{name}"), b"");
        }
        let dir = d.open(ROOT, "d", O_DIRECTORY, R_FD_READDIR, 0).unwrap();
        let mut want: Vec<String> = vec![".".into(), "..".into()];
        want.extend(names.iter().cloned());
        for len in [4096, 100, 37] {
            let mut got = d.list(dir, len);
            got.sort();
            let mut want = want.clone();
            want.sort();
            assert_eq!(got, want, "{backend:?} with a buffer of {len}");
        }
        // Resuming from any cookie gives exactly the entries after it.
        let (all, _) = d.readdir(dir, 8192, 0);
        assert_eq!(all.len(), 42);
        assert_eq!(all[0].2, DIRECTORY);
        for k in [1usize, 2, 17, 41] {
            let (rest, _) = d.readdir(dir, 8192, all[k - 1].0);
            assert_eq!(
                rest.iter().map(|e| &e.1).collect::<Vec<_>>(),
                all[k..].iter().map(|e| &e.1).collect::<Vec<_>>(),
                "{backend:?} from cookie {}",
                all[k - 1].0
            );
        }
        let (end, used) = d.readdir(dir, 8192, all[41].0);
        assert_eq!((end.len(), used), (0, 0), "{backend:?}: past the end");
    }
}

#[test]
fn set_times_validates_fstflags_and_sets_what_it_names() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        d.create(ROOT, "f", b"");
        let fd = d.open(ROOT, "f", 0, R_FD_READ | R_FD_WRITE, 0).unwrap();
        for bad in [FST_ATIM | FST_ATIM_NOW, FST_MTIM | FST_MTIM_NOW, 1 << 4] {
            assert_eq!(
                d.call(
                    "fd_filestat_set_times",
                    &[u64::from(fd), 0, 0, u64::from(bad)]
                ),
                EINVAL,
                "{backend:?} fstflags {bad:#x}"
            );
            let [p, len] = d.path("f");
            assert_eq!(
                d.call(
                    "path_filestat_set_times",
                    &[u64::from(ROOT), 0, p, len, 0, 0, u64::from(bad)]
                ),
                EINVAL
            );
        }
        let before = d.filestat(fd).unwrap();
        d.ok(
            "fd_filestat_set_times",
            &[u64::from(fd), 0, 1_234_000_000_000, u64::from(FST_MTIM)],
        );
        let after = d.filestat(fd).unwrap();
        assert_eq!(after.mtim, 1_234_000_000_000, "{backend:?}");
        assert_eq!(after.atim, before.atim, "{backend:?}: atime kept");
        let [p, len] = d.path("f");
        d.ok(
            "path_filestat_set_times",
            &[
                u64::from(ROOT),
                1,
                p,
                len,
                5_000_000_000,
                0,
                u64::from(FST_ATIM),
            ],
        );
        assert_eq!(d.filestat(fd).unwrap().atim, 5_000_000_000);
    }
}

#[test]
fn links_and_renames_over_existing_entries() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        d.create(ROOT, "a", b"A");
        d.create(ROOT, "b", b"B");
        d.mkdir(ROOT, "empty");
        d.mkdir(ROOT, "full");
        d.create(ROOT, "full/x", b"");
        assert_eq!(d.link(ROOT, 0, "a", ROOT, "b"), EEXIST, "{backend:?}");
        assert_eq!(d.link(ROOT, 0, "a", ROOT, "a2"), 0);
        assert_eq!(d.path_filestat(ROOT, "a", 0).unwrap().nlink, 2);
        assert_eq!(d.link(ROOT, 0, "empty", ROOT, "e2"), EPERM, "{backend:?}");
        // Renaming a file over a file replaces it.
        assert_eq!(d.rename(ROOT, "a", ROOT, "b"), 0, "{backend:?}");
        assert_eq!(d.read_file(ROOT, "b"), b"A");
        assert_eq!(d.path_filestat(ROOT, "a", 0).err(), Some(ENOENT));
        // A directory over an empty one replaces it; over a full one, never.
        assert_eq!(
            d.rename(ROOT, "empty", ROOT, "full"),
            ENOTEMPTY,
            "{backend:?}"
        );
        d.mkdir(ROOT, "empty2");
        assert_eq!(d.rename(ROOT, "empty", ROOT, "empty2"), 0, "{backend:?}");
        // A file over a directory, a directory over a file: refused.
        assert_eq!(d.rename(ROOT, "b", ROOT, "empty2"), EISDIR, "{backend:?}");
        assert_eq!(d.rename(ROOT, "empty2", ROOT, "b"), ENOTDIR, "{backend:?}");
    }
}

#[test]
fn path_link_follows_a_symlink_only_when_asked() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        d.create(ROOT, "target", b"T");
        assert_eq!(d.symlink("target", ROOT, "sym"), 0);
        assert_eq!(d.link(ROOT, 0, "sym", ROOT, "l1"), 0, "{backend:?}");
        assert_eq!(
            d.path_filestat(ROOT, "l1", 0).unwrap().filetype,
            SYMBOLIC_LINK,
            "{backend:?}: without FOLLOW the link itself is linked"
        );
        assert_eq!(d.link(ROOT, FOLLOW, "sym", ROOT, "l2"), 0, "{backend:?}");
        let st = d.path_filestat(ROOT, "l2", 0).unwrap();
        assert_eq!(
            (st.filetype, st.nlink),
            (REGULAR_FILE, 2),
            "{backend:?}: with FOLLOW its target is"
        );
        assert_eq!(d.symlink("nowhere", ROOT, "dangling"), 0);
        assert_eq!(d.link(ROOT, FOLLOW, "dangling", ROOT, "l3"), ENOENT);
        assert_eq!(d.symlink("../outside", ROOT, "escape"), 0);
        assert_ne!(d.link(ROOT, FOLLOW, "escape", ROOT, "l4"), 0, "{backend:?}");
    }
}

#[test]
fn a_read_only_mount_gives_no_writable_name_to_its_files() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        d.create(ROOT, "precious", b"keep");
        // /ro is the same directory, read-only: linking from it into the
        // writable mount would let the guest write the read-only file.
        assert_eq!(
            d.link(RO, 0, "precious", ROOT, "handle"),
            EROFS,
            "{backend:?}"
        );
        assert_eq!(d.link(RO, 0, "precious", RO, "handle"), EROFS);
        assert_eq!(d.rename(RO, "precious", ROOT, "moved"), EROFS);
        assert_eq!(d.open(RO, "precious", 0, R_FD_WRITE, 0), Err(EROFS));
        assert_eq!(d.open(RO, "precious", O_TRUNC, 0, 0), Err(EROFS));
        let fd = d.open(RO, "precious", 0, R_FD_READ, 0).unwrap();
        assert_eq!(d.fdstat(fd).unwrap().base & R_FD_WRITE, 0, "{backend:?}");
        assert_eq!(d.write(fd, b"x", None), Err(EBADF), "{backend:?}");
        assert_eq!(
            d.call("fd_filestat_set_times", &[u64::from(fd), 0, 0, 8]),
            EROFS
        );
        assert_eq!(d.call("fd_filestat_set_size", &[u64::from(fd), 0]), EROFS);
        assert_eq!(d.read_file(ROOT, "precious"), b"keep", "{backend:?}");
        // Its directory reports none of the rights it cannot use.
        let st = d.fdstat(RO).unwrap();
        assert_eq!(st.base & R_PATH_CREATE_FILE, 0, "{backend:?}");
        assert_eq!(st.inheriting & R_FD_WRITE, 0, "{backend:?}");
    }
}

#[test]
fn preopens_can_be_closed_and_renumbered() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        d.create(ROOT, "f", b"F");
        // Renumbering the read-only preopen over the root one replaces it.
        d.ok("fd_renumber", &[u64::from(RO), u64::from(ROOT)]);
        assert_eq!(d.fdstat(RO).err(), Some(EBADF), "{backend:?}");
        assert_eq!(d.open(ROOT, "f", 0, R_FD_WRITE, 0), Err(EROFS));
        let [p, _] = d.path("");
        assert_eq!(d.call("fd_prestat_dir_name", &[u64::from(ROOT), p, 3]), 0);
        assert_eq!(d.read_mem(SCRATCH, 3), b"/ro");
        d.ok("fd_close", &[u64::from(ROOT)]);
        assert_eq!(d.call("fd_prestat_get", &[u64::from(ROOT), 4000]), EBADF);
        assert_eq!(d.call("fd_close", &[u64::from(ROOT)]), EBADF);
        assert_eq!(d.open(ROOT, "f", 0, R_FD_READ, 0), Err(EBADF));
    }
}

#[test]
fn advise_and_allocate() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        d.create(ROOT, "f", b"abc");
        let fd = d.open(ROOT, "f", 0, R_FD_READ | R_FD_WRITE, 0).unwrap();
        for advice in 0..=5u64 {
            d.ok("fd_advise", &[u64::from(fd), 0, 100, advice]);
        }
        assert_eq!(d.call("fd_advise", &[u64::from(fd), 0, 100, 6]), EINVAL);
        assert_eq!(d.call("fd_advise", &[u64::from(ROOT), 0, 100, 0]), EISDIR);
        d.ok("fd_allocate", &[u64::from(fd), 0, 100]);
        assert_eq!(d.filestat(fd).unwrap().size, 100, "{backend:?}");
        d.ok("fd_allocate", &[u64::from(fd), 10, 10]);
        assert_eq!(
            d.filestat(fd).unwrap().size,
            100,
            "{backend:?}: never shrinks"
        );
        assert_eq!(d.call("fd_allocate", &[u64::from(fd), 0, 0]), EINVAL);
        assert_eq!(d.call("fd_allocate", &[u64::from(ROOT), 0, 1]), EISDIR);
        assert_eq!(d.read_file(ROOT, "f")[..3], *b"abc");
    }
}

#[test]
fn standard_streams_look_like_terminals() {
    let d = Driver::new(Backend::Mem);
    for fd in 0..3 {
        let st = d.fdstat(fd).unwrap();
        assert_eq!(st.filetype, CHARACTER_DEVICE, "fd {fd}");
        // wasi-libc's isatty: a character device without seek and tell.
        assert_eq!(st.base & (R_FD_SEEK | R_FD_TELL), 0, "fd {fd}");
        assert_eq!(st.inheriting, 0);
    }
    assert_eq!(
        d.fdstat(0).unwrap().base & R_FD_WRITE,
        0,
        "stdin is read-only"
    );
    assert_eq!(
        d.fdstat(1).unwrap().base & R_FD_READ,
        0,
        "stdout is write-only"
    );
    assert_eq!(d.fdstat(3).unwrap().filetype, DIRECTORY);
}

#[test]
fn non_blocking_opens_report_their_flag() {
    for backend in BACKENDS {
        let d = Driver::new(backend);
        d.create(ROOT, "f", b"abc");
        let fd = d.open(ROOT, "f", 0, R_FD_READ, FD_NONBLOCK).unwrap();
        assert_eq!(
            d.fdstat(fd).unwrap().flags & FD_NONBLOCK as u16,
            FD_NONBLOCK as u16,
            "{backend:?}"
        );
        assert_eq!(d.read(fd, 10), Ok(b"abc".to_vec()));
        d.ok("fd_fdstat_set_flags", &[u64::from(fd), 0]);
        assert_eq!(d.fdstat(fd).unwrap().flags, 0, "{backend:?}");
    }
}

/// A host file name that is not UTF-8 is listed with its bytes, and those
/// bytes open, stat and remove it; an in-memory file system, whose names are
/// UTF-8, answers `EILSEQ` for them.
#[test]
fn host_names_that_are_not_utf8_are_listed_and_reachable_as_bytes() {
    use std::os::unix::ffi::OsStrExt;
    let name: &[u8] = b"caf\xe9-\xff";
    let d = Driver::new(Backend::Host);
    let host = std::ffi::OsStr::from_bytes(name);
    let Some(root) = d.host_dir() else {
        panic!("a host driver has a host directory")
    };
    std::fs::write(root.join(host), b"latin-1").unwrap();
    let dir = d.open(ROOT, ".", O_DIRECTORY, R_FD_READDIR, 0).unwrap();
    let (entries, _) = d.readdir(dir, 4096, 0);
    assert!(
        entries.iter().any(|e| e.1 == name && e.2 == REGULAR_FILE),
        "listed with its own bytes: {entries:?}"
    );
    let [p, len] = d.bytes_at(SCRATCH, name);
    d.ok(
        "path_open",
        &[u64::from(ROOT), 1, p, len, 0, R_FD_READ, 0, 0, 4000],
    );
    let fd = d.u32_at(4000);
    assert_eq!(d.read(fd, 100), Ok(b"latin-1".to_vec()));
    let [p, len] = d.bytes_at(SCRATCH, name);
    d.ok("path_filestat_get", &[u64::from(ROOT), 0, p, len, 4000]);
    d.ok("path_unlink_file", &[u64::from(ROOT), p, len]);
    assert!(!root.join(host).exists(), "removed");

    let mem = Driver::new(Backend::Mem);
    let [p, len] = mem.bytes_at(SCRATCH, name);
    assert_eq!(
        mem.call(
            "path_open",
            &[u64::from(ROOT), 1, p, len, 1, R_FD_READ, 0, 0, 4000]
        ),
        EILSEQ
    );
}

/// `FsConfig::with_max_open_files` bounds the descriptors a guest holds:
/// past it opening answers `EMFILE`, and closing one makes room again.
#[test]
fn open_descriptors_are_limited_by_configuration() {
    const EMFILE: u32 = 33;
    let mem = MemFs::new();
    mem.write_file("f", b"").unwrap();
    // 3 standard streams and 1 mount: 6 more descriptors fit in 10.
    let d = Driver::with_fs(
        FsConfig::new()
            .with_mem_fs(mem, "/")
            .with_max_open_files(10),
    );
    let fds: Vec<u32> = (0..6)
        .map(|_| d.open(ROOT, "f", 0, R_FD_READ, 0).unwrap())
        .collect();
    assert_eq!(d.open(ROOT, "f", 0, R_FD_READ, 0), Err(EMFILE));
    d.ok("fd_close", &[u64::from(fds[2])]);
    assert_eq!(d.open(ROOT, "f", 0, R_FD_READ, 0), Ok(fds[2]));
    assert_eq!(d.open(ROOT, "f", 0, R_FD_READ, 0), Err(EMFILE));
}
