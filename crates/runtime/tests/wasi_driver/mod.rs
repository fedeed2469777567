//! A driver guest for WASI tests: it imports every WASI function and exports
//! it under its own name, so a test calls the functions one by one, as a C or
//! Rust program would, and reads the results from the guest's memory.

#![allow(dead_code)] // each test file uses part of it

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use wazero::api::ValueType;
use wazero::{wasi_snapshot_preview1 as wasi, FsConfig, MemFs, Module, ModuleConfig, Runtime};

// Errnos.
pub const EBADF: u32 = 8;
pub const EEXIST: u32 = 20;
pub const EILSEQ: u32 = 25;
pub const EINVAL: u32 = 28;
pub const EISDIR: u32 = 31;
pub const ELOOP: u32 = 32;
pub const ENOENT: u32 = 44;
pub const ENOTDIR: u32 = 54;
pub const ENOTEMPTY: u32 = 55;
pub const EROFS: u32 = 69;
pub const EPERM: u32 = 63;
pub const ENOTCAPABLE: u32 = 76;

// Flags.
pub const O_CREAT: u32 = 1;
pub const O_DIRECTORY: u32 = 2;
pub const O_EXCL: u32 = 4;
pub const O_TRUNC: u32 = 8;
pub const FD_APPEND: u32 = 1;
pub const FD_NONBLOCK: u32 = 4;
pub const FOLLOW: u32 = 1;
pub const FST_ATIM: u32 = 1;
pub const FST_ATIM_NOW: u32 = 2;
pub const FST_MTIM: u32 = 4;
pub const FST_MTIM_NOW: u32 = 8;

// Rights.
pub const R_FD_DATASYNC: u64 = 1 << 0;
pub const R_FD_READ: u64 = 1 << 1;
pub const R_FD_SEEK: u64 = 1 << 2;
pub const R_FD_TELL: u64 = 1 << 5;
pub const R_FD_WRITE: u64 = 1 << 6;
pub const R_FD_ALLOCATE: u64 = 1 << 8;
pub const R_PATH_CREATE_FILE: u64 = 1 << 10;
pub const R_PATH_OPEN: u64 = 1 << 13;
pub const R_FD_READDIR: u64 = 1 << 14;
pub const R_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;

// File types.
pub const CHARACTER_DEVICE: u8 = 2;
pub const DIRECTORY: u8 = 3;
pub const REGULAR_FILE: u8 = 4;
pub const SYMBOLIC_LINK: u8 = 7;

/// The first free byte of the driver's memory; below it nothing is used.
pub const SCRATCH: u32 = 1024;

/// A guest that exports every WASI function under its own name.
pub struct Driver {
    pub module: Module,
    _runtime: Runtime,
    _host: Option<TempDir>,
}

/// What `fd_fdstat_get` says.
#[derive(Debug)]
pub struct Fdstat {
    pub filetype: u8,
    pub flags: u16,
    pub base: u64,
    pub inheriting: u64,
}

/// What `*_filestat_get` says (the fields the tests look at).
#[derive(Debug)]
pub struct Filestat {
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
}

/// A directory under the system's temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "wazero-wasi-conformance-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The two file systems every test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Host,
    Mem,
}

pub const BACKENDS: [Backend; 2] = [Backend::Host, Backend::Mem];

impl Driver {
    /// A driver with a writable directory at `/` (fd 3) and, at `/ro` (fd 4),
    /// a read-only mount of the same directory, on `backend`.
    pub fn new(backend: Backend) -> Self {
        let (fs, host) = match backend {
            Backend::Host => {
                let dir = TempDir::new();
                let fs = FsConfig::new()
                    .with_dir_mount(&dir.0, "/")
                    .with_read_only_dir_mount(&dir.0, "/ro");
                (fs, Some(dir))
            }
            Backend::Mem => {
                let mem = MemFs::new();
                let fs = FsConfig::new()
                    .with_mem_fs(mem.clone(), "/")
                    .with_read_only_mem_fs(mem, "/ro");
                (fs, None)
            }
        };
        let mut driver = Self::with_fs(fs);
        driver._host = host;
        driver
    }

    /// A driver with the mounts of `fs`.
    pub fn with_fs(fs: FsConfig) -> Self {
        let runtime = Runtime::new();
        let wasi_module = wasi::instantiate(&runtime).unwrap();
        let ty = |t: &ValueType| match t {
            ValueType::I32 => "i32",
            ValueType::I64 => "i64",
            other => panic!("unexpected {other:?}"),
        };
        let mut wat = String::from("(module\n");
        let mut exports = String::new();
        for (i, def) in wasi_module
            .exported_function_definitions()
            .into_iter()
            .enumerate()
        {
            let (name, def) = def;
            let params: Vec<&str> = def.param_types.iter().map(ty).collect();
            let results: Vec<&str> = def.result_types.iter().map(ty).collect();
            wat += &format!(
                "(import \"wasi_snapshot_preview1\" \"{name}\" (func $f{i} (param {}) (result {})))\n",
                params.join(" "),
                results.join(" ")
            );
            let gets: String = (0..params.len())
                .map(|p| format!("(local.get {p})"))
                .collect();
            exports += &format!(
                "(func (export \"{name}\") (param {}) (result {}) (call $f{i} {gets}))\n",
                params.join(" "),
                results.join(" ")
            );
        }
        wat += "(memory (export \"memory\") 4)\n";
        wat += &exports;
        wat += ")";
        let compiled = runtime
            .compile_module(&wat::parse_str(&wat).unwrap())
            .unwrap();
        let module = runtime
            .instantiate_module(
                &compiled,
                ModuleConfig::new().with_name("").with_fs_config(fs),
            )
            .unwrap();
        Self {
            module,
            _runtime: runtime,
            _host: None,
        }
    }

    /// The host directory mounted at `/` and `/ro`, on the host backend.
    pub fn host_dir(&self) -> Option<&std::path::Path> {
        self._host.as_ref().map(|t| t.0.as_path())
    }

    /// Calls the WASI function `name`; its errno.
    pub fn call(&self, name: &str, params: &[u64]) -> u32 {
        let f = self
            .module
            .exported_function(name)
            .unwrap_or_else(|| panic!("{name} is not exported"));
        let out = f
            .call(params)
            .unwrap_or_else(|e| panic!("{name}{params:?}: {e}"));
        out[0] as u32
    }

    /// Calls `name`, panicking unless it succeeds.
    pub fn ok(&self, name: &str, params: &[u64]) {
        assert_eq!(self.call(name, params), 0, "{name}{params:?}");
    }

    pub fn write_mem(&self, at: u32, bytes: &[u8]) {
        self.module.memory().unwrap().write(at, bytes).unwrap();
    }

    pub fn read_mem(&self, at: u32, len: u32) -> Vec<u8> {
        self.module.memory().unwrap().read(at, len).unwrap()
    }

    pub fn u32_at(&self, at: u32) -> u32 {
        u32::from_le_bytes(self.read_mem(at, 4).try_into().unwrap())
    }

    pub fn u64_at(&self, at: u32) -> u64 {
        u64::from_le_bytes(self.read_mem(at, 8).try_into().unwrap())
    }

    /// Puts `path` in memory at `SCRATCH`: `(pointer, length)` as call arguments.
    pub fn path(&self, path: &str) -> [u64; 2] {
        self.path_at(SCRATCH, path)
    }

    pub fn path_at(&self, at: u32, path: &str) -> [u64; 2] {
        self.bytes_at(at, path.as_bytes())
    }

    /// Puts `bytes` in memory at `at`: `(pointer, length)` as call arguments.
    pub fn bytes_at(&self, at: u32, bytes: &[u8]) -> [u64; 2] {
        self.write_mem(at, bytes);
        [u64::from(at), bytes.len() as u64]
    }

    /// `path_open` beneath `dir`: the new descriptor or the errno.
    pub fn open(
        &self,
        dir: u32,
        path: &str,
        oflags: u32,
        rights: u64,
        fdflags: u32,
    ) -> Result<u32, u32> {
        let [p, len] = self.path(path);
        let result = 4000;
        let params = [
            u64::from(dir),
            u64::from(FOLLOW),
            p,
            len,
            u64::from(oflags),
            rights,
            0,
            u64::from(fdflags),
            result,
        ];
        match self.call("path_open", &params) {
            0 => Ok(self.u32_at(result as u32)),
            errno => Err(errno),
        }
    }

    pub fn fdstat(&self, fd: u32) -> Result<Fdstat, u32> {
        match self.call("fd_fdstat_get", &[u64::from(fd), 4000]) {
            0 => Ok(Fdstat {
                filetype: self.read_mem(4000, 1)[0],
                flags: u16::from_le_bytes(self.read_mem(4002, 2).try_into().unwrap()),
                base: self.u64_at(4008),
                inheriting: self.u64_at(4016),
            }),
            errno => Err(errno),
        }
    }

    pub fn decode_filestat(&self, at: u32) -> Filestat {
        Filestat {
            filetype: self.read_mem(at + 16, 1)[0],
            nlink: self.u64_at(at + 24),
            size: self.u64_at(at + 32),
            atim: self.u64_at(at + 40),
            mtim: self.u64_at(at + 48),
        }
    }

    pub fn filestat(&self, fd: u32) -> Result<Filestat, u32> {
        match self.call("fd_filestat_get", &[u64::from(fd), 4000]) {
            0 => Ok(self.decode_filestat(4000)),
            errno => Err(errno),
        }
    }

    pub fn path_filestat(&self, dir: u32, path: &str, flags: u32) -> Result<Filestat, u32> {
        let [p, len] = self.path(path);
        match self.call(
            "path_filestat_get",
            &[u64::from(dir), u64::from(flags), p, len, 4000],
        ) {
            0 => Ok(self.decode_filestat(4000)),
            errno => Err(errno),
        }
    }

    /// `fd_write` (or `fd_pwrite` at `offset`) of `data`: the count written.
    pub fn write(&self, fd: u32, data: &[u8], offset: Option<u64>) -> Result<u32, u32> {
        let (iov, buf, result) = (5000u32, 6000u32, 5100u32);
        self.write_mem(buf, data);
        self.write_mem(iov, &buf.to_le_bytes());
        self.write_mem(iov + 4, &(data.len() as u32).to_le_bytes());
        let errno = match offset {
            None => self.call(
                "fd_write",
                &[u64::from(fd), u64::from(iov), 1, u64::from(result)],
            ),
            Some(at) => self.call(
                "fd_pwrite",
                &[u64::from(fd), u64::from(iov), 1, at, u64::from(result)],
            ),
        };
        match errno {
            0 => Ok(self.u32_at(result)),
            e => Err(e),
        }
    }

    /// `fd_read` of up to `len` bytes.
    pub fn read(&self, fd: u32, len: u32) -> Result<Vec<u8>, u32> {
        let (iov, buf, result) = (5000u32, 6000u32, 5100u32);
        self.write_mem(iov, &buf.to_le_bytes());
        self.write_mem(iov + 4, &len.to_le_bytes());
        match self.call(
            "fd_read",
            &[u64::from(fd), u64::from(iov), 1, u64::from(result)],
        ) {
            0 => Ok(self.read_mem(buf, self.u32_at(result))),
            e => Err(e),
        }
    }

    /// `fd_seek`: the new position.
    pub fn seek(&self, fd: u32, offset: i64, whence: u32) -> Result<u64, u32> {
        match self.call(
            "fd_seek",
            &[u64::from(fd), offset as u64, u64::from(whence), 4000],
        ) {
            0 => Ok(self.u64_at(4000)),
            e => Err(e),
        }
    }

    /// `fd_readdir` into a buffer of `len` bytes from `cookie`: the whole
    /// entries it holds as `(next cookie, name, type)`, and the bytes used.
    pub fn readdir(&self, fd: u32, len: u32, cookie: u64) -> (Vec<(u64, Vec<u8>, u8)>, u32) {
        let (buf, result) = (8000u32, 4000u32);
        self.ok(
            "fd_readdir",
            &[
                u64::from(fd),
                u64::from(buf),
                u64::from(len),
                cookie,
                u64::from(result),
            ],
        );
        let used = self.u32_at(result);
        let bytes = self.read_mem(buf, used);
        let mut out = Vec::new();
        let mut at = 0usize;
        while at + 24 <= bytes.len() {
            let next = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
            let namelen = u32::from_le_bytes(bytes[at + 16..at + 20].try_into().unwrap()) as usize;
            let ty = bytes[at + 20];
            if at + 24 + namelen > bytes.len() {
                break; // cut short: the caller asks again from the last cookie
            }
            let name = bytes[at + 24..at + 24 + namelen].to_vec();
            out.push((next, name, ty));
            at += 24 + namelen;
        }
        (out, used)
    }

    /// Every entry of `fd` read with a buffer of `len` bytes, from cookie 0.
    pub fn list(&self, fd: u32, len: u32) -> Vec<String> {
        let mut names = Vec::new();
        let mut cookie = 0;
        loop {
            let (entries, used) = self.readdir(fd, len, cookie);
            assert!(
                !entries.is_empty() || used < len,
                "a buffer of {len} bytes holds no entry"
            );
            for (next, name, _) in &entries {
                names.push(String::from_utf8_lossy(name).into_owned());
                cookie = *next;
            }
            if used < len {
                return names;
            }
        }
    }

    pub fn create(&self, dir: u32, path: &str, contents: &[u8]) {
        let fd = self
            .open(dir, path, O_CREAT | O_TRUNC, R_FD_WRITE, 0)
            .unwrap_or_else(|e| panic!("create {path}: {e}"));
        assert_eq!(self.write(fd, contents, None), Ok(contents.len() as u32));
        self.ok("fd_close", &[u64::from(fd)]);
    }

    pub fn mkdir(&self, dir: u32, path: &str) {
        let [p, len] = self.path(path);
        self.ok("path_create_directory", &[u64::from(dir), p, len]);
    }

    pub fn symlink(&self, target: &str, dir: u32, path: &str) -> u32 {
        let [t, tlen] = self.path_at(SCRATCH, target);
        let [p, len] = self.path_at(SCRATCH + 512, path);
        self.call("path_symlink", &[t, tlen, u64::from(dir), p, len])
    }

    pub fn link(&self, dir: u32, flags: u32, old: &str, new_dir: u32, new: &str) -> u32 {
        let [o, olen] = self.path_at(SCRATCH, old);
        let [n, nlen] = self.path_at(SCRATCH + 512, new);
        self.call(
            "path_link",
            &[
                u64::from(dir),
                u64::from(flags),
                o,
                olen,
                u64::from(new_dir),
                n,
                nlen,
            ],
        )
    }

    pub fn rename(&self, dir: u32, old: &str, new_dir: u32, new: &str) -> u32 {
        let [o, olen] = self.path_at(SCRATCH, old);
        let [n, nlen] = self.path_at(SCRATCH + 512, new);
        self.call(
            "path_rename",
            &[u64::from(dir), o, olen, u64::from(new_dir), n, nlen],
        )
    }

    pub fn unlink(&self, dir: u32, path: &str) -> u32 {
        let [p, len] = self.path(path);
        self.call("path_unlink_file", &[u64::from(dir), p, len])
    }

    pub fn rmdir(&self, dir: u32, path: &str) -> u32 {
        let [p, len] = self.path(path);
        self.call("path_remove_directory", &[u64::from(dir), p, len])
    }

    pub fn read_file(&self, dir: u32, path: &str) -> Vec<u8> {
        let fd = self.open(dir, path, 0, R_FD_READ, 0).unwrap();
        let data = self.read(fd, 1000).unwrap();
        self.ok("fd_close", &[u64::from(fd)]);
        data
    }
}

/// The root preopen (writable) and its read-only twin.
pub const ROOT: u32 = 3;
pub const RO: u32 = 4;
