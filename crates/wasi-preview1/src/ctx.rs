//! The state of one WASI guest: what it was given and its open descriptors.

use std::io::{self, Read, Write};

use crate::abi::filetype;
use crate::abi::rights;
use crate::config::{Clock, InputConfig, Mount, OutputConfig, SleepFn, WasiConfig};
use crate::fs::host::HostDir;
use crate::fs::{DirEntry, DirLike, DirStream, FileLike};
use crate::sock::Listener;
use crate::stdio::{Input, Output};
use crate::Errno;

/// The most descriptors a guest may hold open at once, unless configured.
const MAX_FDS: usize = 1 << 16;

/// The rights a descriptor still has: all of them, until the guest gives some
/// up with `fd_fdstat_set_rights` (rights can only be removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kept {
    /// The rights of the descriptor itself.
    pub base: u64,
    /// The most that descriptors opened beneath it may have.
    pub inheriting: u64,
}

impl Kept {
    /// Nothing given up.
    pub const ALL: Kept = Kept {
        base: rights::ALL,
        inheriting: rights::ALL,
    };
}

/// An open descriptor.
pub(crate) enum Fd {
    File {
        file: Box<dyn FileLike>,
        /// Opened under a read-only mount.
        read_only: bool,
        kept: Kept,
    },
    Dir {
        dir: Box<dyn DirLike>,
        /// The guest path of a pre-opened directory.
        preopen: Option<String>,
        read_only: bool,
        kept: Kept,
        /// Where `fd_readdir` is in the directory's listing.
        listing: Option<Listing>,
    },
}

/// A directory's listing as `fd_readdir` pages through it: `.` (cookie 0),
/// `..` (1), then the entries of its stream. It holds one entry at most, so a
/// guest's memory use on the host does not grow with the directory's size.
pub(crate) struct Listing {
    stream: Box<dyn DirStream>,
    own_ino: u64,
    /// The cookie of the entry [`Listing::next`] gives.
    pub pos: u64,
    /// The entry at `pos`, read but not taken.
    peeked: Option<DirEntry>,
}

impl Listing {
    /// The listing of `dir` from its start.
    pub fn open(dir: &dyn DirLike) -> Result<Self, Errno> {
        Ok(Self {
            own_ino: dir.filestat()?.ino,
            stream: dir.read_dir()?,
            pos: 0,
            peeked: None,
        })
    }

    /// The entry at `pos`, moving past it.
    pub fn next(&mut self) -> Option<Result<DirEntry, Errno>> {
        let entry = match self.peeked.take() {
            Some(entry) => entry,
            None if self.pos < 2 => DirEntry {
                name: if self.pos == 0 {
                    b".".to_vec()
                } else {
                    b"..".to_vec()
                },
                ino: self.own_ino,
                filetype: filetype::DIRECTORY,
            },
            None => match self.stream.next_entry()? {
                Ok(entry) => entry,
                Err(e) => return Some(Err(e)),
            },
        };
        self.pos += 1;
        Some(Ok(entry))
    }

    /// Puts back the entry [`Listing::next`] just gave.
    pub fn unread(&mut self, entry: DirEntry) {
        self.pos -= 1;
        self.peeked = Some(entry);
    }
}

/// Why a guest's WASI system could not be set up from its configuration (a
/// host directory to mount could not be opened, or a listener could not be
/// used). It is reported when the guest is instantiated, before any of its
/// code runs.
#[derive(Debug, thiserror::Error)]
pub enum SysError {
    /// A host directory to mount could not be opened.
    #[error("cannot mount {host} at {guest}: {source}")]
    Mount {
        /// The host path.
        host: String,
        /// The guest path.
        guest: String,
        /// The cause.
        source: io::Error,
    },
    /// A listener could not be prepared.
    #[error("cannot use listener: {0}")]
    Listener(io::Error),
}

/// The state of one WASI guest (wazero's `sys.Context`): its arguments,
/// environment, clocks, randomness and open descriptors. One is made for each
/// instance from its [`WasiConfig`]; the WASI functions find it through the
/// calling module.
pub struct WasiCtx {
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) env: Vec<Vec<u8>>,
    pub(crate) walltime: Clock,
    pub(crate) nanotime: Clock,
    pub(crate) sleep: SleepFn,
    pub(crate) random: Option<Box<dyn Read + Send>>,
    pub(crate) fds: Vec<Option<Fd>>,
    pub(crate) host_log: Option<Box<dyn Write + Send>>,
    /// The most descriptors open at once.
    max_fds: usize,
}

impl std::fmt::Debug for WasiCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiCtx")
            .field("args", &self.args.len())
            .field("open_fds", &self.fds.iter().filter(|f| f.is_some()).count())
            .finish_non_exhaustive()
    }
}

impl WasiCtx {
    /// Opens what `config` mounts and sets up descriptors 0–2 (standard streams),
    /// then the mounts from 3, then the listeners.
    pub fn new(config: WasiConfig) -> Result<Self, SysError> {
        let stdin: Box<dyn FileLike> = match config.stdin {
            InputConfig::Empty => Box::new(Input {
                reader: Box::new(io::empty()),
                inherited: false,
            }),
            InputConfig::Reader(reader) => Box::new(Input {
                reader,
                inherited: false,
            }),
            InputConfig::Inherit => Box::new(Input {
                reader: Box::new(io::stdin()),
                inherited: true,
            }),
        };
        let output =
            |c: OutputConfig, inherit: fn() -> Box<dyn Write + Send>| -> Box<dyn FileLike> {
                Box::new(Output {
                    writer: match c {
                        OutputConfig::Discard => Box::new(io::sink()),
                        OutputConfig::Writer(w) => w,
                        OutputConfig::Inherit => inherit(),
                    },
                })
            };
        let mut fds = vec![
            Some(Fd::File {
                file: stdin,
                read_only: false,
                kept: Kept::ALL,
            }),
            Some(Fd::File {
                file: output(config.stdout, || Box::new(io::stdout())),
                read_only: false,
                kept: Kept::ALL,
            }),
            Some(Fd::File {
                file: output(config.stderr, || Box::new(io::stderr())),
                read_only: false,
                kept: Kept::ALL,
            }),
        ];
        let max_fds = config.fs.max_open_files.unwrap_or(MAX_FDS);
        for mount in config.fs.mounts {
            let (dir, guest, read_only): (Box<dyn DirLike>, String, bool) = match mount {
                Mount::Host {
                    host,
                    guest,
                    read_only,
                } => {
                    let dir = HostDir::open_ambient(&host).map_err(|source| SysError::Mount {
                        host: host.display().to_string(),
                        guest: guest.clone(),
                        source,
                    })?;
                    (Box::new(dir), guest, read_only)
                }
                Mount::Mem {
                    fs,
                    guest,
                    read_only,
                } => (fs.root(), guest, read_only),
            };
            fds.push(Some(Fd::Dir {
                dir,
                preopen: Some(guest),
                read_only,
                kept: Kept::ALL,
                listing: None,
            }));
        }
        for listener in config.listeners {
            listener
                .set_nonblocking(false)
                .map_err(SysError::Listener)?;
            fds.push(Some(Fd::File {
                file: Box::new(Listener {
                    listener,
                    nonblock: false,
                }),
                read_only: false,
                kept: Kept::ALL,
            }));
        }
        let env = config
            .env
            .into_iter()
            .map(|(k, v)| {
                let mut kv = k;
                kv.push(b'=');
                kv.extend_from_slice(&v);
                kv
            })
            .collect();
        Ok(Self {
            args: config.args,
            env,
            walltime: config.walltime,
            nanotime: config.nanotime,
            sleep: config.sleep,
            random: config.random,
            fds,
            host_log: config.host_log,
            max_fds,
        })
    }

    /// The descriptor `fd`, or `EBADF`.
    pub(crate) fn fd(&mut self, fd: u32) -> Result<&mut Fd, Errno> {
        self.fds
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::Badf)
    }

    /// `EBADF` if `fd` is not open, `ENOTCAPABLE` if the guest gave up any of
    /// `needed` on it.
    pub(crate) fn require(&self, fd: u32, needed: u64) -> Result<(), Errno> {
        if self.kept(fd)?.base & needed == needed {
            Ok(())
        } else {
            Err(Errno::NotCapable)
        }
    }

    /// The rights `fd` still has.
    pub(crate) fn kept(&self, fd: u32) -> Result<Kept, Errno> {
        match self.fds.get(fd as usize).and_then(Option::as_ref) {
            Some(Fd::File { kept, .. } | Fd::Dir { kept, .. }) => Ok(*kept),
            None => Err(Errno::Badf),
        }
    }

    /// The file `fd` (`EISDIR` for a directory), and whether it is read-only.
    pub(crate) fn file(&mut self, fd: u32) -> Result<(&mut dyn FileLike, bool), Errno> {
        match self.fd(fd)? {
            Fd::File {
                file, read_only, ..
            } => Ok((file.as_mut(), *read_only)),
            Fd::Dir { .. } => Err(Errno::IsDir),
        }
    }

    /// The directory `fd` (`ENOTDIR` for a file), and whether it is read-only.
    pub(crate) fn dir(&self, fd: u32) -> Result<(&dyn DirLike, bool), Errno> {
        match self.fds.get(fd as usize).and_then(Option::as_ref) {
            Some(Fd::Dir { dir, read_only, .. }) => Ok((dir.as_ref(), *read_only)),
            Some(Fd::File { .. }) => Err(Errno::NotDir),
            None => Err(Errno::Badf),
        }
    }

    /// A writable directory `fd`: `EROFS` under a read-only mount.
    pub(crate) fn writable_dir(&self, fd: u32) -> Result<&dyn DirLike, Errno> {
        match self.dir(fd)? {
            (_, true) => Err(Errno::Rofs),
            (dir, false) => Ok(dir),
        }
    }

    /// Puts `entry` in the lowest free descriptor.
    pub(crate) fn insert(&mut self, entry: Fd) -> Result<u32, Errno> {
        if let Some(free) = self.fds.iter().position(Option::is_none) {
            self.fds[free] = Some(entry);
            return Ok(free as u32);
        }
        if self.fds.len() >= self.max_fds {
            return Err(Errno::Mfile);
        }
        self.fds.push(Some(entry));
        Ok((self.fds.len() - 1) as u32)
    }

    /// Closes `fd`.
    pub(crate) fn close(&mut self, fd: u32) -> Result<(), Errno> {
        let slot = self.fds.get_mut(fd as usize).ok_or(Errno::Badf)?;
        slot.take().map(drop).ok_or(Errno::Badf)
    }

    /// Reads the monotonic clock.
    pub(crate) fn nanotime(&self) -> u64 {
        (self.nanotime.now)()
    }

    /// Reads the wall clock.
    pub(crate) fn walltime(&self) -> u64 {
        (self.walltime.now)()
    }

    /// Fills `buf` with random bytes.
    pub(crate) fn fill_random(&mut self, buf: &mut [u8]) -> Result<(), Errno> {
        match &mut self.random {
            Some(source) => source.read_exact(buf).map_err(|_| Errno::Io),
            None => getrandom::fill(buf).map_err(|_| Errno::Io),
        }
    }

    /// Sleeps for `nanos`.
    pub(crate) fn sleep(&self, nanos: u64) {
        (self.sleep)(std::time::Duration::from_nanos(nanos));
    }

    /// Whether a clock is the host's.
    pub(crate) fn system_clocks(&self) -> bool {
        self.nanotime.system
    }
}
