//! Host directories, sandboxed by `cap-std`: every path is resolved beneath the
//! mounted directory by cap-std (with `openat2(RESOLVE_BENEATH)` where the kernel
//! has it), so `..`, absolute paths and symbolic links cannot lead out of it.

use std::any::Any;
use std::ffi::OsStr;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::os::unix::fs::{FileExt as _, MetadataExt as _};
use std::path::Path;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, SystemTimeSpec,
};
use cap_std::fs::{Dir, MetadataExt as _, OpenOptionsExt as _};
use rustix::fs::OFlags;

use super::{DirEntry, DirLike, DirStream, FileLike, OpenOptions, Opened};
use crate::abi::{fdflags, filetype, Filestat, SetTime};
use crate::Errno;

/// A directory of the host.
pub(crate) struct HostDir {
    /// Shared with the listings being read from it.
    dir: std::sync::Arc<Dir>,
}

impl HostDir {
    /// Opens `path` of the host as a sandbox root.
    pub fn open_ambient(path: &std::path::Path) -> io::Result<Self> {
        let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority())?;
        Ok(Self { dir: dir.into() })
    }
}

/// The `filetype` of a host `st_mode`.
fn filetype_of_mode(mode: u32) -> u8 {
    match mode & 0o170000 {
        0o040000 => filetype::DIRECTORY,
        0o100000 => filetype::REGULAR_FILE,
        0o120000 => filetype::SYMBOLIC_LINK,
        0o020000 => filetype::CHARACTER_DEVICE,
        0o060000 => filetype::BLOCK_DEVICE,
        0o140000 => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// Nanoseconds since the epoch of a `(seconds, nanoseconds)` timestamp; times
/// before the epoch read as 0.
fn nanos(secs: i64, nsec: i64) -> u64 {
    u64::try_from(secs)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|n| n.checked_add(nsec.max(0) as u64))
        .unwrap_or(0)
}

fn stat_of(m: &cap_std::fs::Metadata) -> Filestat {
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: filetype_of_mode(m.mode()),
        nlink: m.nlink(),
        size: m.len(),
        atim: nanos(m.atime(), m.atime_nsec()),
        mtim: nanos(m.mtime(), m.mtime_nsec()),
        ctim: nanos(m.ctime(), m.ctime_nsec()),
    }
}

fn time_spec(t: SetTime) -> Option<SystemTimeSpec> {
    match t {
        SetTime::Keep => None,
        // cap-std refuses the symbolic "now" next to an omitted time on some
        // paths; the current time is what "now" means.
        SetTime::Now => Some(SystemTimeSpec::Absolute(
            cap_std::time::SystemTime::from_std(SystemTime::now()),
        )),
        SetTime::At(ns) => Some(SystemTimeSpec::Absolute(
            cap_std::time::SystemTime::from_std(UNIX_EPOCH + Duration::from_nanos(ns)),
        )),
    }
}

/// How many symbolic links `path_link` follows before `ELOOP` (Linux's limit).
const MAX_SYMLINK_HOPS: usize = 40;

/// The host path of a guest path, whatever its bytes (host names need not be
/// UTF-8); refuses paths a sandboxed guest cannot name: empty or absolute.
fn relative(path: &[u8]) -> Result<&Path, Errno> {
    if path.is_empty() {
        return Err(Errno::NoEnt);
    }
    if path.starts_with(b"/") {
        return Err(Errno::NotCapable);
    }
    Ok(Path::new(OsStr::from_bytes(path)))
}

fn other(dir: &dyn DirLike) -> Result<&HostDir, Errno> {
    dir.as_any().downcast_ref::<HostDir>().ok_or(Errno::Xdev)
}

impl DirLike for HostDir {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn open(&self, guest_path: &[u8], o: &OpenOptions) -> Result<Opened, Errno> {
        let path = relative(guest_path)?;
        if o.directory {
            if o.create || o.truncate {
                return Err(Errno::Inval);
            }
            if o.write {
                // As open(2) answers `O_DIRECTORY | O_RDWR`.
                return Err(Errno::IsDir);
            }
            let dir = if o.follow {
                self.dir.open_dir(path)?
            } else {
                self.dir.open_dir_nofollow(path)?
            };
            return Ok(Opened::Dir(Box::new(HostDir { dir: dir.into() })));
        }
        if o.create && !o.write && !o.append {
            // POSIX opens `O_RDONLY | O_CREAT`, but std and cap-std refuse to
            // create without write access: create it first (exclusively if
            // asked), then open it for reading as asked.
            let mut create = cap_std::fs::OpenOptions::new();
            create.write(true).follow(if o.follow {
                FollowSymlinks::Yes
            } else {
                FollowSymlinks::No
            });
            if o.exclusive {
                create.create_new(true);
            } else {
                create.create(true);
            }
            drop(self.dir.open_with(path, &create)?);
            let rest = OpenOptions {
                create: false,
                exclusive: false,
                ..*o
            };
            return self.open(guest_path, &rest);
        }
        let mut options = cap_std::fs::OpenOptions::new();
        // Appending is asked for with `O_APPEND` directly: std and cap-std
        // refuse `append` with `truncate`, which POSIX allows.
        options
            .read(o.read || !o.write)
            .write(o.write || o.append)
            .truncate(o.truncate)
            .maybe_dir(true)
            .follow(if o.follow {
                FollowSymlinks::Yes
            } else {
                FollowSymlinks::No
            });
        if o.create && o.exclusive {
            options.create_new(true);
        } else if o.create {
            options.create(true);
        }
        let mut custom = OFlags::empty();
        if o.append {
            custom |= OFlags::APPEND;
        }
        if o.fdflags & fdflags::NONBLOCK != 0 {
            custom |= OFlags::NONBLOCK;
        }
        if o.fdflags & fdflags::DSYNC != 0 {
            custom |= OFlags::DSYNC;
        }
        if o.fdflags & fdflags::SYNC != 0 {
            custom |= OFlags::SYNC;
        }
        if o.fdflags & fdflags::RSYNC != 0 {
            custom |= OFlags::RSYNC;
        }
        options.custom_flags(custom.bits() as i32);
        let file = self.dir.open_with(path, &options)?;
        let file = file.into_std();
        if file.metadata()?.is_dir() {
            return Ok(Opened::Dir(Box::new(HostDir {
                dir: Dir::from_std_file(file).into(),
            })));
        }
        Ok(Opened::File(Box::new(HostFile { file })))
    }

    fn create_dir(&self, path: &[u8]) -> Result<(), Errno> {
        Ok(self.dir.create_dir(relative(path)?)?)
    }

    fn remove_dir(&self, path: &[u8]) -> Result<(), Errno> {
        // cap-std reads `dir/` as `dir/.`, which rmdir refuses (EINVAL); a
        // trailing slash only says "a directory", which rmdir requires anyway.
        let trimmed = match path.iter().rposition(|&b| b != b'/') {
            Some(last) => &path[..=last],
            None => path,
        };
        Ok(self.dir.remove_dir(relative(trimmed)?)?)
    }

    fn unlink(&self, path: &[u8]) -> Result<(), Errno> {
        let path = relative(path)?;
        match self.dir.remove_file_or_symlink(path) {
            Ok(()) => Ok(()),
            // Linux says EISDIR, POSIX says EPERM; WASI programs expect EISDIR.
            Err(e) if self.dir.symlink_metadata(path).is_ok_and(|m| m.is_dir()) => {
                let _ = e;
                Err(Errno::IsDir)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn stat(&self, path: &[u8], follow: bool) -> Result<Filestat, Errno> {
        let path = relative(path)?;
        let m = if follow {
            self.dir.metadata(path)?
        } else {
            self.dir.symlink_metadata(path)?
        };
        Ok(stat_of(&m))
    }

    fn set_times(
        &self,
        path: &[u8],
        follow: bool,
        atim: SetTime,
        mtim: SetTime,
    ) -> Result<(), Errno> {
        let path = relative(path)?;
        if follow {
            self.dir.set_times(path, time_spec(atim), time_spec(mtim))?;
        } else {
            self.dir
                .set_symlink_times(path, time_spec(atim), time_spec(mtim))?;
        }
        Ok(())
    }

    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        let target = self.dir.read_link_contents(relative(path)?)?;
        Ok(target.into_os_string().into_vec())
    }

    fn symlink(&self, target: &[u8], path: &[u8]) -> Result<(), Errno> {
        // cap-std refuses absolute targets, which the sandbox could never follow.
        Ok(self
            .dir
            .symlink(OsStr::from_bytes(target), relative(path)?)?)
    }

    fn link(
        &self,
        old: &[u8],
        follow: bool,
        new_dir: &dyn DirLike,
        new: &[u8],
    ) -> Result<(), Errno> {
        let mut old = relative(old)?.to_path_buf();
        if follow {
            // linkat(AT_SYMLINK_FOLLOW) would follow the link in the kernel,
            // outside cap-std's sandbox: resolve it here instead, each target
            // relative to the link's own directory and beneath the mount.
            let mut hops = 0;
            while self
                .dir
                .symlink_metadata(&old)
                .is_ok_and(|m| m.is_symlink())
            {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(Errno::Loop);
                }
                let target = self.dir.read_link_contents(&old)?;
                if target.is_absolute() {
                    return Err(Errno::NotCapable);
                }
                old = match old.parent() {
                    Some(dir) => dir.join(target),
                    None => target,
                };
            }
        }
        Ok(self
            .dir
            .hard_link(&old, &other(new_dir)?.dir, relative(new)?)?)
    }

    fn rename(&self, old: &[u8], new_dir: &dyn DirLike, new: &[u8]) -> Result<(), Errno> {
        Ok(self
            .dir
            .rename(relative(old)?, &other(new_dir)?.dir, relative(new)?)?)
    }

    fn read_dir(&self) -> Result<Box<dyn DirStream>, Errno> {
        // A descriptor of its own, opened at `.` for reading (the directory's
        // own may be `O_PATH`), so that the listing's position is independent
        // of any other use of the directory.
        let fd = rustix::fs::openat(
            &*self.dir,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )?;
        let stream = rustix::fs::Dir::new(fd)?;
        let parent = self.dir.clone();
        Ok(Box::new(HostDirStream { stream, parent }))
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        Ok(stat_of(&self.dir.dir_metadata()?))
    }

    fn set_own_times(&self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        self.dir.set_times(".", time_spec(atim), time_spec(mtim))?;
        Ok(())
    }

    fn sync(&self) -> Result<(), Errno> {
        rustix::fs::fsync(&self.dir)?;
        Ok(())
    }
}

/// A host directory's entries, read through the kernel's buffer.
struct HostDirStream {
    stream: rustix::fs::Dir,
    /// The directory itself, for the type of entries the kernel does not give.
    parent: std::sync::Arc<Dir>,
}

impl DirStream for HostDirStream {
    fn next_entry(&mut self) -> Option<Result<DirEntry, Errno>> {
        loop {
            let entry = match self.stream.read()? {
                Ok(entry) => entry,
                Err(e) => return Some(Err(e.into())),
            };
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            use rustix::fs::FileType;
            let kind = match entry.file_type() {
                FileType::Unknown => {
                    match rustix::fs::statat(
                        &*self.parent,
                        name,
                        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
                    ) {
                        Ok(st) => FileType::from_raw_mode(st.st_mode),
                        // Removed meanwhile: not an entry any more.
                        Err(rustix::io::Errno::NOENT) => continue,
                        Err(e) => return Some(Err(e.into())),
                    }
                }
                kind => kind,
            };
            let filetype = match kind {
                FileType::Directory => filetype::DIRECTORY,
                FileType::RegularFile => filetype::REGULAR_FILE,
                FileType::Symlink => filetype::SYMBOLIC_LINK,
                FileType::CharacterDevice => filetype::CHARACTER_DEVICE,
                FileType::BlockDevice => filetype::BLOCK_DEVICE,
                FileType::Socket => filetype::SOCKET_STREAM,
                _ => filetype::UNKNOWN,
            };
            return Some(Ok(DirEntry {
                name: name.to_vec(),
                ino: entry.ino(),
                filetype,
            }));
        }
    }
}

/// A regular file (or device) of the host.
pub(crate) struct HostFile {
    file: std::fs::File,
}

fn to_system_time(t: SetTime) -> Option<SystemTime> {
    match t {
        SetTime::Keep => None,
        SetTime::Now => Some(SystemTime::now()),
        SetTime::At(ns) => Some(UNIX_EPOCH + Duration::from_nanos(ns)),
    }
}

impl FileLike for HostFile {
    fn filetype(&self) -> u8 {
        self.file
            .metadata()
            .map(|m| filetype_of_mode(m.mode()))
            .unwrap_or(filetype::UNKNOWN)
    }

    fn access(&self) -> (bool, bool) {
        match rustix::fs::fcntl_getfl(&self.file).map(|f| f & OFlags::RWMODE) {
            Ok(mode) if mode == OFlags::RDONLY => (true, false),
            Ok(mode) if mode == OFlags::WRONLY => (false, true),
            _ => (true, true),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        Ok(self.file.read(buf)?)
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, Errno> {
        Ok(self.file.write(buf)?)
    }

    fn pread(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
        Ok(self.file.read_at(buf, offset)?)
    }

    fn pwrite(&mut self, buf: &[u8], offset: u64) -> Result<usize, Errno> {
        Ok(self.file.write_at(buf, offset)?)
    }

    fn seek(&mut self, offset: i64, whence: u8) -> Result<u64, Errno> {
        let pos = match whence {
            crate::abi::whence::SET => {
                SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?)
            }
            crate::abi::whence::CUR => SeekFrom::Current(offset),
            crate::abi::whence::END => SeekFrom::End(offset),
            _ => return Err(Errno::Inval),
        };
        Ok(self.file.seek(pos)?)
    }

    fn sync(&mut self) -> Result<(), Errno> {
        Ok(self.file.sync_all()?)
    }

    fn datasync(&mut self) -> Result<(), Errno> {
        Ok(self.file.sync_data()?)
    }

    fn fdflags(&self) -> u16 {
        let Ok(flags) = rustix::fs::fcntl_getfl(&self.file) else {
            return 0;
        };
        let mut out = 0;
        for (host, wasi) in [
            (OFlags::APPEND, fdflags::APPEND),
            (OFlags::NONBLOCK, fdflags::NONBLOCK),
            (OFlags::DSYNC, fdflags::DSYNC),
            (OFlags::RSYNC, fdflags::RSYNC),
            (OFlags::SYNC, fdflags::SYNC),
        ] {
            if flags.contains(host) {
                out |= wasi;
            }
        }
        // O_SYNC includes O_DSYNC's bit on Linux; report what was asked.
        if out & fdflags::SYNC != 0 {
            out &= !(fdflags::DSYNC | fdflags::RSYNC);
        }
        out
    }

    fn set_fdflags(&mut self, flags: u16) -> Result<(), Errno> {
        // Like POSIX `fcntl(F_SETFL)`, only the append and non-blocking modes change.
        let mut host = rustix::fs::fcntl_getfl(&self.file)?;
        host.set(OFlags::APPEND, flags & fdflags::APPEND != 0);
        host.set(OFlags::NONBLOCK, flags & fdflags::NONBLOCK != 0);
        rustix::fs::fcntl_setfl(&self.file, host)?;
        Ok(())
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        Ok(stat_of(&cap_std::fs::Metadata::from_file(&self.file)?))
    }

    fn set_size(&mut self, size: u64) -> Result<(), Errno> {
        Ok(self.file.set_len(size)?)
    }

    fn set_times(&mut self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        let mut times = std::fs::FileTimes::new();
        if let Some(t) = to_system_time(atim) {
            times = times.set_accessed(t);
        }
        if let Some(t) = to_system_time(mtim) {
            times = times.set_modified(t);
        }
        Ok(self.file.set_times(times)?)
    }

    fn advise(&mut self, offset: u64, len: u64, advice: u8) -> Result<(), Errno> {
        #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
        {
            use rustix::fs::Advice;
            let advice = match advice {
                0 => Advice::Normal,
                1 => Advice::Sequential,
                2 => Advice::Random,
                3 => Advice::WillNeed,
                4 => Advice::DontNeed,
                _ => Advice::NoReuse,
            };
            rustix::fs::fadvise(&self.file, offset, std::num::NonZeroU64::new(len), advice)?;
        }
        #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
        let _ = (offset, len, advice);
        Ok(())
    }

    fn allocate(&mut self, offset: u64, len: u64) -> Result<(), Errno> {
        #[cfg(target_os = "linux")]
        {
            rustix::fs::fallocate(&self.file, rustix::fs::FallocateFlags::empty(), offset, len)?;
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (offset, len);
            Err(Errno::NotSup)
        }
    }

    fn poll_fd(&self) -> Option<BorrowedFd<'_>> {
        Some(self.file.as_fd())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Temp(std::path::PathBuf);

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn temp(tag: &str) -> Temp {
        let path =
            std::env::temp_dir().join(format!("wazero-hostdir-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Temp(path)
    }

    fn read_only() -> OpenOptions {
        OpenOptions {
            read: true,
            follow: true,
            ..OpenOptions::default()
        }
    }

    /// Every way out of the mount, including through intermediate components
    /// and symbolic links, is refused.
    #[test]
    fn escapes_are_refused() {
        let root = temp("escape");
        let mount = root.0.join("mount");
        std::fs::create_dir_all(mount.join("sub")).unwrap();
        std::fs::write(root.0.join("outside.txt"), "outside").unwrap();
        std::os::unix::fs::symlink(root.0.join("outside.txt"), mount.join("abs_link")).unwrap();
        std::os::unix::fs::symlink("../outside.txt", mount.join("rel_link")).unwrap();
        std::os::unix::fs::symlink("sub/../../outside.txt", mount.join("deep_link")).unwrap();
        std::os::unix::fs::symlink("..", mount.join("sub/up")).unwrap();
        let dir = HostDir::open_ambient(&mount).unwrap();
        let cases = [
            "../outside.txt",
            "/etc/passwd",
            "sub/../../outside.txt",
            "abs_link",
            "rel_link",
            "deep_link",
            "sub/up/../outside.txt",
            "sub/up/up/outside.txt",
        ];
        for path in cases {
            let err = dir.open(path.as_bytes(), &read_only()).err();
            assert!(
                matches!(
                    err,
                    Some(Errno::NotCapable | Errno::Perm | Errno::NoEnt | Errno::Loop)
                ),
                "{path}: {err:?}"
            );
        }
        assert_eq!(dir.stat(b"rel_link", true).err(), Some(Errno::NotCapable));
        assert!(
            dir.stat(b"rel_link", false).is_ok(),
            "the link itself is inside"
        );
        assert_eq!(
            dir.symlink(b"/etc", b"new_abs").err(),
            Some(Errno::NotCapable)
        );
        let other = HostDir::open_ambient(&root.0).unwrap();
        assert!(
            dir.rename(b"sub", &other, b"stolen").is_ok(),
            "both inside their own mounts"
        );
    }

    /// A symbolic link swapped in for a directory while the guest resolves a
    /// path through it never leads outside (the race cap-std closes).
    #[test]
    fn swapping_a_directory_for_a_symlink_never_escapes() {
        let root = temp("race");
        let mount = root.0.join("mount");
        std::fs::create_dir_all(mount.join("d")).unwrap();
        std::fs::write(mount.join("d/secret"), "inside").unwrap();
        std::fs::create_dir_all(root.0.join("outside")).unwrap();
        std::fs::write(root.0.join("outside/secret"), "OUTSIDE").unwrap();
        let dir = HostDir::open_ambient(&mount).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let swapper = {
            let (mount, outside, stop) = (mount.clone(), root.0.join("outside"), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = std::fs::rename(mount.join("d"), mount.join("d_real"));
                    let _ = std::os::unix::fs::symlink(&outside, mount.join("d"));
                    let _ = std::fs::remove_file(mount.join("d"));
                    let _ = std::fs::rename(mount.join("d_real"), mount.join("d"));
                }
            })
        };
        let (mut inside, mut attempts) = (0, 0);
        let started = std::time::Instant::now();
        // At least 3000 attempts, and on until some land between swaps (a loaded
        // machine may starve either thread for a while).
        while attempts < 3000 || (inside == 0 && started.elapsed().as_secs() < 20) {
            attempts += 1;
            if let Ok(Opened::File(mut f)) = dir.open(b"d/secret", &read_only()) {
                let mut buf = [0u8; 16];
                let n = f.read(&mut buf).unwrap();
                assert_eq!(&buf[..n], b"inside", "escaped through the swapped link");
                inside += 1;
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        swapper.join().unwrap();
        assert!(inside > 0, "some opens should land between swaps");
    }
}
