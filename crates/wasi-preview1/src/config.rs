//! What a WASI guest is given: arguments, environment, standard streams, clocks,
//! randomness, mounted directories and listeners.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::fs::mem::MemFs;

/// A clock: nanoseconds since its epoch (the Unix epoch for wall time).
pub type ClockFn = Arc<dyn Fn() -> u64 + Send + Sync>;
/// Sleeps for the given time (`poll_oneoff` with only clock subscriptions).
pub type SleepFn = Arc<dyn Fn(Duration) + Send + Sync>;

/// A clock and its resolution.
#[derive(Clone)]
pub(crate) struct Clock {
    pub now: ClockFn,
    pub resolution: u64,
    /// Whether this is the host's clock (then process and thread CPU time are too).
    pub system: bool,
}

/// The fake wall clock's start: 2022-01-01T00:00:00Z, as wazero's.
const FAKE_EPOCH_NANOS: u64 = 1_640_995_200 * 1_000_000_000;

impl Clock {
    /// A clock that starts at `start` and advances 1 ms per reading, so a
    /// program that waits for time to pass terminates and runs are reproducible.
    fn fake(start: u64) -> Self {
        let ticks = Arc::new(AtomicU64::new(0));
        Self {
            now: Arc::new(move || start + ticks.fetch_add(1, Ordering::Relaxed) * 1_000_000),
            resolution: 1,
            system: false,
        }
    }

    fn system_walltime() -> Self {
        Self {
            now: Arc::new(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0)
            }),
            resolution: 1_000,
            system: true,
        }
    }

    fn system_nanotime() -> Self {
        let start = Instant::now();
        Self {
            now: Arc::new(move || start.elapsed().as_nanos() as u64),
            resolution: 1,
            system: true,
        }
    }
}

/// Standard input.
pub(crate) enum InputConfig {
    Empty,
    Reader(Box<dyn Read + Send>),
    Inherit,
}

/// Standard output or error.
pub(crate) enum OutputConfig {
    Discard,
    Writer(Box<dyn Write + Send>),
    Inherit,
}

/// One mount of [`FsConfig`].
#[derive(Clone, Debug)]
pub(crate) enum Mount {
    Host {
        host: PathBuf,
        guest: String,
        read_only: bool,
    },
    Mem {
        fs: MemFs,
        guest: String,
        read_only: bool,
    },
}

/// The directories a guest sees (wazero's `FSConfig`). Each mount is a
/// pre-opened directory, in the order added, from file descriptor 3; the guest
/// reaches nothing else.
///
/// ```
/// # extern crate wazero_wasi_preview1 as wazero;
/// use wazero::{FsConfig, MemFs};
/// let config = FsConfig::new()
///     .with_dir_mount("/srv/site", "/site")
///     .with_read_only_dir_mount("/usr/share/zoneinfo", "/zoneinfo")
///     .with_mem_fs(MemFs::new(), "/tmp");
/// # let _ = config;
/// ```
#[derive(Clone, Debug, Default)]
pub struct FsConfig {
    pub(crate) mounts: Vec<Mount>,
    pub(crate) max_open_files: Option<usize>,
}

fn guest_path(guest: &str) -> String {
    if guest.is_empty() {
        "/".to_string()
    } else {
        guest.to_string()
    }
}

impl FsConfig {
    /// No mounts: the guest sees no file system.
    pub fn new() -> Self {
        Self::default()
    }

    /// Mounts the host directory `host` at `guest` (e.g. `"/"` or `"/data"`),
    /// readable and writable.
    pub fn with_dir_mount(mut self, host: impl Into<PathBuf>, guest: &str) -> Self {
        self.mounts.push(Mount::Host {
            host: host.into(),
            guest: guest_path(guest),
            read_only: false,
        });
        self
    }

    /// Mounts the host directory `host` at `guest`, read-only: every write,
    /// creation, removal or rename through it fails with `EROFS`.
    pub fn with_read_only_dir_mount(mut self, host: impl Into<PathBuf>, guest: &str) -> Self {
        self.mounts.push(Mount::Host {
            host: host.into(),
            guest: guest_path(guest),
            read_only: true,
        });
        self
    }

    /// The most descriptors the guest may hold open at once, its standard
    /// streams and mounts included (default 65,536); past it, opening answers
    /// `EMFILE`. Each descriptor of a host mount is a descriptor of the host
    /// process too, so a host with a low `ulimit -n` may want fewer.
    pub fn with_max_open_files(mut self, max: usize) -> Self {
        self.max_open_files = Some(max);
        self
    }

    /// Mounts the in-memory file system `fs` at `guest`.
    pub fn with_mem_fs(mut self, fs: MemFs, guest: &str) -> Self {
        self.mounts.push(Mount::Mem {
            fs,
            guest: guest_path(guest),
            read_only: false,
        });
        self
    }

    /// Mounts the in-memory file system `fs` at `guest`, read-only.
    pub fn with_read_only_mem_fs(mut self, fs: MemFs, guest: &str) -> Self {
        self.mounts.push(Mount::Mem {
            fs,
            guest: guest_path(guest),
            read_only: true,
        });
        self
    }
}

/// Everything a WASI guest is given (wazero's system part of `ModuleConfig`).
///
/// The defaults keep a guest deterministic and isolated, as wazero's do: no
/// arguments or environment, empty standard input, discarded output, a fake wall
/// clock starting at 2022-01-01 and a fake monotonic clock (both advancing 1 ms
/// per reading), a sleep that returns at once, no file system and no sockets.
/// Randomness comes from the operating system unless replaced.
pub struct WasiConfig {
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) env: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) stdin: InputConfig,
    pub(crate) stdout: OutputConfig,
    pub(crate) stderr: OutputConfig,
    pub(crate) walltime: Clock,
    pub(crate) nanotime: Clock,
    pub(crate) sleep: SleepFn,
    pub(crate) random: Option<Box<dyn Read + Send>>,
    pub(crate) fs: FsConfig,
    pub(crate) listeners: Vec<TcpListener>,
    pub(crate) host_log: Option<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for WasiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiConfig")
            .field("args", &self.args.len())
            .field("env", &self.env.len())
            .field("fs", &self.fs)
            .field("listeners", &self.listeners.len())
            .finish_non_exhaustive()
    }
}

impl Default for WasiConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiConfig {
    /// The isolated, deterministic defaults described above.
    pub fn new() -> Self {
        Self {
            args: Vec::new(),
            env: Vec::new(),
            stdin: InputConfig::Empty,
            stdout: OutputConfig::Discard,
            stderr: OutputConfig::Discard,
            walltime: Clock::fake(FAKE_EPOCH_NANOS),
            nanotime: Clock::fake(0),
            sleep: Arc::new(|_| {}),
            random: None,
            fs: FsConfig::new(),
            listeners: Vec::new(),
            host_log: None,
        }
    }

    /// The arguments (`argv`, the program name first).
    pub fn with_args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.args = args.into_iter().map(|a| a.as_ref().to_vec()).collect();
        self
    }

    /// Adds the environment variable `key=value`.
    pub fn with_env(mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        self.env
            .push((key.as_ref().to_vec(), value.as_ref().to_vec()));
        self
    }

    /// Standard input reads from `reader`.
    pub fn with_stdin(mut self, reader: impl Read + Send + 'static) -> Self {
        self.stdin = InputConfig::Reader(Box::new(reader));
        self
    }

    /// Standard output goes to `writer`.
    pub fn with_stdout(mut self, writer: impl Write + Send + 'static) -> Self {
        self.stdout = OutputConfig::Writer(Box::new(writer));
        self
    }

    /// Standard error goes to `writer`.
    pub fn with_stderr(mut self, writer: impl Write + Send + 'static) -> Self {
        self.stderr = OutputConfig::Writer(Box::new(writer));
        self
    }

    /// Standard input, output and error are the host process's own (as the
    /// `wazero` command does); a read of standard input can then be polled.
    pub fn with_inherited_stdio(mut self) -> Self {
        self.stdin = InputConfig::Inherit;
        self.stdout = OutputConfig::Inherit;
        self.stderr = OutputConfig::Inherit;
        self
    }

    /// The wall clock (`CLOCK_REALTIME`): nanoseconds since the Unix epoch, and
    /// its resolution in nanoseconds.
    pub fn with_walltime(
        mut self,
        now: impl Fn() -> u64 + Send + Sync + 'static,
        resolution: u64,
    ) -> Self {
        self.walltime = Clock {
            now: Arc::new(now),
            resolution: resolution.max(1),
            system: false,
        };
        self
    }

    /// The host's wall clock.
    pub fn with_sys_walltime(mut self) -> Self {
        self.walltime = Clock::system_walltime();
        self
    }

    /// The monotonic clock (`CLOCK_MONOTONIC`): nanoseconds since any fixed
    /// point; it must never go back. Also used for CPU-time clocks when fake.
    pub fn with_nanotime(
        mut self,
        now: impl Fn() -> u64 + Send + Sync + 'static,
        resolution: u64,
    ) -> Self {
        self.nanotime = Clock {
            now: Arc::new(now),
            resolution: resolution.max(1),
            system: false,
        };
        self
    }

    /// The host's monotonic clock (and its process and thread CPU-time clocks).
    pub fn with_sys_nanotime(mut self) -> Self {
        self.nanotime = Clock::system_nanotime();
        self
    }

    /// How the guest sleeps (`poll_oneoff` on clocks alone).
    pub fn with_nanosleep(mut self, sleep: impl Fn(Duration) + Send + Sync + 'static) -> Self {
        self.sleep = Arc::new(sleep);
        self
    }

    /// The guest really sleeps.
    pub fn with_sys_nanosleep(mut self) -> Self {
        self.sleep = Arc::new(std::thread::sleep);
        self
    }

    /// `random_get` reads from `source` (e.g. a seeded generator, for
    /// reproducible runs); if it runs dry, `random_get` fails with `EIO`.
    pub fn with_rand_source(mut self, source: impl Read + Send + 'static) -> Self {
        self.random = Some(Box::new(source));
        self
    }

    /// The mounted directories.
    pub fn with_fs_config(mut self, fs: FsConfig) -> Self {
        self.fs = fs;
        self
    }

    /// Hands a TCP listener to the guest, as the next pre-opened descriptor after
    /// the mounts, for `sock_accept`.
    pub fn with_listener(mut self, listener: TcpListener) -> Self {
        self.listeners.push(listener);
        self
    }

    /// Writes one line per WASI call (name, parameters, result) to `log`.
    pub fn with_host_logging(mut self, log: impl Write + Send + 'static) -> Self {
        self.host_log = Some(Box::new(log));
        self
    }
}
