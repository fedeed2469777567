//! An in-memory file system: files, directories and symbolic links that live
//! only as long as the [`MemFs`] (and every instance it is mounted in).
//!
//! Paths resolve beneath the directory they start from, exactly as in a host
//! mount: `..` at the top, absolute paths and symbolic links that would leave it
//! are refused with `ENOTCAPABLE`.

use std::any::Any;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{DirEntry, DirLike, DirStream, FileLike, OpenOptions, Opened};
use crate::abi::{fdflags, filetype, whence, Filestat, SetTime};
use crate::Errno;

/// Symbolic links followed in one resolution before `ELOOP`.
const MAX_SYMLINK_HOPS: u32 = 40;
/// The device number the in-memory file system reports.
const DEV: u64 = 0x6d656d66; // "memf"

type Ino = u64;

enum Kind {
    File(Vec<u8>),
    Dir(BTreeMap<String, Ino>),
    Symlink(String),
}

struct Node {
    kind: Kind,
    /// Names that refer to it (a directory: 1 while it is linked).
    nlink: u64,
    /// Open handles.
    open: u64,
    /// A directory's parent (the root is its own).
    parent: Ino,
    atim: u64,
    mtim: u64,
    ctim: u64,
}

struct Tree {
    nodes: HashMap<Ino, Node>,
    next: Ino,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

const ROOT: Ino = 1;

/// An in-memory file system, shared by every clone of the handle. Mount it with
/// `FsConfig::with_mem_fs`; fill and inspect it from Rust with the methods here.
///
/// ```
/// # extern crate wazero_wasi_preview1 as wazero;
/// use wazero::MemFs;
/// let fs = MemFs::new();
/// fs.write_file("dir/hello.txt", b"hi")?;
/// assert_eq!(fs.read_file("dir/hello.txt"), Some(b"hi".to_vec()));
/// assert_eq!(fs.read_dir("dir"), Some(vec!["hello.txt".to_string()]));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct MemFs {
    tree: Arc<Mutex<Tree>>,
}

impl std::fmt::Debug for MemFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemFs").finish_non_exhaustive()
    }
}

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a path leads: the directory holding its last component, that
/// component's name (empty for the start directory itself), and the node, if any.
struct Resolved {
    parent: Ino,
    name: String,
    node: Option<Ino>,
}

impl Tree {
    fn node(&self, ino: Ino) -> Result<&Node, Errno> {
        self.nodes.get(&ino).ok_or(Errno::NoEnt)
    }

    fn node_mut(&mut self, ino: Ino) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&ino).ok_or(Errno::NoEnt)
    }

    fn children(&self, ino: Ino) -> Result<&BTreeMap<String, Ino>, Errno> {
        match &self.node(ino)?.kind {
            Kind::Dir(entries) => Ok(entries),
            _ => Err(Errno::NotDir),
        }
    }

    fn children_mut(&mut self, ino: Ino) -> Result<&mut BTreeMap<String, Ino>, Errno> {
        match &mut self.node_mut(ino)?.kind {
            Kind::Dir(entries) => Ok(entries),
            _ => Err(Errno::NotDir),
        }
    }

    /// Resolves `path` beneath `root` (which is also where it starts).
    fn resolve(&self, root: Ino, path: &[u8], follow_last: bool) -> Result<Resolved, Errno> {
        let path = utf8(path)?;
        if path.is_empty() {
            return Err(Errno::NoEnt);
        }
        if path.starts_with('/') {
            return Err(Errno::NotCapable);
        }
        let trailing_slash = path.ends_with('/');
        let mut comps: VecDeque<String> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .collect();
        let mut cur = root;
        let mut hops = 0;
        while let Some(comp) = comps.pop_front() {
            let last = comps.is_empty();
            if comp == ".." {
                if cur == root {
                    return Err(Errno::NotCapable);
                }
                cur = self.node(cur)?.parent;
                continue;
            }
            let child = self.children(cur)?.get(&comp).copied();
            let Some(child) = child else {
                if last {
                    return Ok(Resolved {
                        parent: cur,
                        name: comp,
                        node: None,
                    });
                }
                return Err(Errno::NoEnt);
            };
            if let Kind::Symlink(target) = &self.node(child)?.kind {
                if !last || follow_last || trailing_slash {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(Errno::Loop);
                    }
                    if target.starts_with('/') {
                        return Err(Errno::NotCapable);
                    }
                    for c in target
                        .split('/')
                        .filter(|c| !c.is_empty() && *c != ".")
                        .rev()
                    {
                        comps.push_front(c.to_string());
                    }
                    if comps.is_empty() {
                        // A link to "." resolves to its own directory.
                        return Ok(Resolved {
                            parent: self.node(cur)?.parent,
                            name: String::new(),
                            node: Some(cur),
                        });
                    }
                    continue;
                }
            }
            if last {
                if trailing_slash && !matches!(self.node(child)?.kind, Kind::Dir(_)) {
                    return Err(Errno::NotDir);
                }
                return Ok(Resolved {
                    parent: cur,
                    name: comp,
                    node: Some(child),
                });
            }
            cur = child;
        }
        // The path named the start directory or an ancestor reached by `..`.
        Ok(Resolved {
            parent: self.node(cur)?.parent,
            name: String::new(),
            node: Some(cur),
        })
    }

    fn add(&mut self, parent: Ino, name: &str, kind: Kind) -> Result<Ino, Errno> {
        if self.node(parent)?.nlink == 0 {
            return Err(Errno::NoEnt);
        }
        let ino = self.next;
        self.next += 1;
        let t = now();
        self.nodes.insert(
            ino,
            Node {
                kind,
                nlink: 1,
                open: 0,
                parent,
                atim: t,
                mtim: t,
                ctim: t,
            },
        );
        self.children_mut(parent)?.insert(name.to_string(), ino);
        let p = self.node_mut(parent)?;
        p.mtim = t;
        p.ctim = t;
        Ok(ino)
    }

    /// Drops a node that has no names left and no open handles.
    fn collect(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get(&ino) {
            if n.nlink == 0 && n.open == 0 && ino != ROOT {
                self.nodes.remove(&ino);
            }
        }
    }

    fn unlink_name(&mut self, parent: Ino, name: &str, ino: Ino) -> Result<(), Errno> {
        self.children_mut(parent)?.remove(name);
        let t = now();
        let p = self.node_mut(parent)?;
        p.mtim = t;
        p.ctim = t;
        let n = self.node_mut(ino)?;
        n.nlink = n.nlink.saturating_sub(1);
        n.ctim = t;
        if matches!(n.kind, Kind::Dir(_)) {
            n.nlink = 0;
        }
        self.collect(ino);
        Ok(())
    }

    fn stat(&self, ino: Ino) -> Result<Filestat, Errno> {
        let n = self.node(ino)?;
        let (filetype, size) = match &n.kind {
            Kind::File(data) => (filetype::REGULAR_FILE, data.len() as u64),
            Kind::Dir(entries) => (filetype::DIRECTORY, entries.len() as u64),
            Kind::Symlink(target) => (filetype::SYMBOLIC_LINK, target.len() as u64),
        };
        Ok(Filestat {
            dev: DEV,
            ino,
            filetype,
            nlink: n.nlink,
            size,
            atim: n.atim,
            mtim: n.mtim,
            ctim: n.ctim,
        })
    }

    fn set_times(&mut self, ino: Ino, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        let t = now();
        let n = self.node_mut(ino)?;
        for (slot, value) in [(&mut n.atim, atim), (&mut n.mtim, mtim)] {
            match value {
                SetTime::Keep => {}
                SetTime::Now => *slot = t,
                SetTime::At(ns) => *slot = ns,
            }
        }
        n.ctim = t;
        Ok(())
    }

    /// Whether `ino` is `ancestor` or lies beneath it.
    fn is_within(&self, mut ino: Ino, ancestor: Ino) -> bool {
        loop {
            if ino == ancestor {
                return true;
            }
            match self.nodes.get(&ino) {
                Some(n) if n.parent != ino => ino = n.parent,
                _ => return false,
            }
        }
    }
}

impl MemFs {
    /// An empty file system (just its root directory).
    pub fn new() -> Self {
        let t = now();
        let mut nodes = HashMap::new();
        nodes.insert(
            ROOT,
            Node {
                kind: Kind::Dir(BTreeMap::new()),
                nlink: 1,
                open: 0,
                parent: ROOT,
                atim: t,
                mtim: t,
                ctim: t,
            },
        );
        Self {
            tree: Arc::new(Mutex::new(Tree { nodes, next: 2 })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tree> {
        // A panic while holding the lock cannot leave the tree half-updated in a
        // way that breaks its invariants, so a poisoned lock is still usable.
        self.tree.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes `contents` to the file at `path` (relative to the root), creating it
    /// and its parent directories as needed.
    pub fn write_file(&self, path: &str, contents: &[u8]) -> std::io::Result<()> {
        let mut tree = self.lock();
        let path = path.trim_start_matches('/');
        let (dirs, file) = match path.rsplit_once('/') {
            Some((d, f)) => (d, f),
            None => ("", path),
        };
        let parent = mkdir_all(&mut tree, dirs).map_err(io_error)?;
        match tree.children(parent).map_err(io_error)?.get(file).copied() {
            Some(ino) => match &mut tree.node_mut(ino).map_err(io_error)?.kind {
                Kind::File(data) => *data = contents.to_vec(),
                _ => return Err(io_error(Errno::IsDir)),
            },
            None => {
                tree.add(parent, file, Kind::File(contents.to_vec()))
                    .map_err(io_error)?;
            }
        }
        Ok(())
    }

    /// Creates the directory `path` and its parents.
    pub fn create_dir_all(&self, path: &str) -> std::io::Result<()> {
        mkdir_all(&mut self.lock(), path.trim_start_matches('/'))
            .map(|_| ())
            .map_err(io_error)
    }

    /// The contents of the file at `path`, if there is one.
    pub fn read_file(&self, path: &str) -> Option<Vec<u8>> {
        let tree = self.lock();
        let r = tree
            .resolve(ROOT, path.trim_start_matches('/').as_bytes(), true)
            .ok()?;
        match &tree.node(r.node?).ok()?.kind {
            Kind::File(data) => Some(data.clone()),
            _ => None,
        }
    }

    /// The names in the directory at `path` (`""` is the root), sorted.
    pub fn read_dir(&self, path: &str) -> Option<Vec<String>> {
        let tree = self.lock();
        let path = path.trim_start_matches('/');
        let ino = if path.is_empty() {
            ROOT
        } else {
            tree.resolve(ROOT, path.as_bytes(), true).ok()?.node?
        };
        Some(tree.children(ino).ok()?.keys().cloned().collect())
    }

    /// The root directory, to mount.
    pub(crate) fn root(&self) -> Box<dyn DirLike> {
        Box::new(MemDir::new(self.tree.clone(), ROOT))
    }
}

fn io_error(e: Errno) -> std::io::Error {
    std::io::Error::other(e)
}

fn mkdir_all(tree: &mut Tree, path: &str) -> Result<Ino, Errno> {
    let mut cur = ROOT;
    for comp in path.split('/').filter(|c| !c.is_empty() && *c != ".") {
        if comp == ".." {
            return Err(Errno::NotCapable);
        }
        cur = match tree.children(cur)?.get(comp).copied() {
            Some(ino) => ino,
            None => tree.add(cur, comp, Kind::Dir(BTreeMap::new()))?,
        };
    }
    Ok(cur)
}

/// A path or name of a `MemFs`, whose names are UTF-8: `EILSEQ` otherwise.
fn utf8(bytes: &[u8]) -> Result<&str, Errno> {
    std::str::from_utf8(bytes).map_err(|_| Errno::Ilseq)
}

/// Keeps a node alive while a handle to it is open.
struct Handle {
    tree: Arc<Mutex<Tree>>,
    ino: Ino,
}

impl Handle {
    fn new(tree: Arc<Mutex<Tree>>, ino: Ino) -> Self {
        if let Some(n) = lock(&tree).nodes.get_mut(&ino) {
            n.open += 1;
        }
        Self { tree, ino }
    }

    fn lock(&self) -> MutexGuard<'_, Tree> {
        lock(&self.tree)
    }
}

fn lock(tree: &Mutex<Tree>) -> MutexGuard<'_, Tree> {
    tree.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for Handle {
    fn drop(&mut self) {
        let mut tree = lock(&self.tree);
        if let Some(n) = tree.nodes.get_mut(&self.ino) {
            n.open = n.open.saturating_sub(1);
        }
        tree.collect(self.ino);
    }
}

/// The entries of a [`MemFs`] directory in name order, found one at a time
/// after the last name given (so entries added or removed meanwhile are seen
/// or skipped as they are, never twice).
struct MemDirStream {
    h: Handle,
    after: Option<String>,
}

impl DirStream for MemDirStream {
    fn next_entry(&mut self) -> Option<Result<DirEntry, Errno>> {
        use std::ops::Bound::{Excluded, Unbounded};
        let tree = self.h.lock();
        let children = match tree.children(self.h.ino) {
            Ok(children) => children,
            Err(e) => return Some(Err(e)),
        };
        let (name, &ino) = match &self.after {
            Some(after) => children
                .range::<str, _>((Excluded(after.as_str()), Unbounded))
                .next()?,
            None => children.iter().next()?,
        };
        let filetype = match tree.stat(ino) {
            Ok(stat) => stat.filetype,
            Err(e) => return Some(Err(e)),
        };
        let entry = DirEntry {
            name: name.clone().into_bytes(),
            ino,
            filetype,
        };
        drop(tree);
        self.after = Some(String::from_utf8_lossy(&entry.name).into_owned());
        Some(Ok(entry))
    }
}

/// An open directory of a [`MemFs`].
struct MemDir {
    h: Handle,
}

impl MemDir {
    fn new(tree: Arc<Mutex<Tree>>, ino: Ino) -> Self {
        Self {
            h: Handle::new(tree, ino),
        }
    }

    fn same_fs<'a>(&self, other: &'a dyn DirLike) -> Result<&'a MemDir, Errno> {
        let other = other.as_any().downcast_ref::<MemDir>().ok_or(Errno::Xdev)?;
        if Arc::ptr_eq(&self.h.tree, &other.h.tree) {
            Ok(other)
        } else {
            Err(Errno::Xdev)
        }
    }
}

impl DirLike for MemDir {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn open(&self, path: &[u8], o: &OpenOptions) -> Result<Opened, Errno> {
        let mut tree = self.h.lock();
        let r = tree.resolve(self.h.ino, path, o.follow)?;
        let ino = match r.node {
            Some(_) if o.create && o.exclusive => return Err(Errno::Exist),
            Some(ino) => ino,
            None if o.create && !o.directory => {
                tree.add(r.parent, &r.name, Kind::File(Vec::new()))?
            }
            None => return Err(Errno::NoEnt),
        };
        match &mut tree.node_mut(ino)?.kind {
            Kind::Dir(_) => {
                if o.write || o.truncate || o.append {
                    return Err(Errno::IsDir);
                }
                drop(tree);
                Ok(Opened::Dir(Box::new(MemDir::new(self.h.tree.clone(), ino))))
            }
            _ if o.directory => Err(Errno::NotDir),
            Kind::Symlink(_) => Err(Errno::Loop),
            Kind::File(data) => {
                if o.truncate {
                    data.clear();
                }
                drop(tree);
                Ok(Opened::File(Box::new(MemFile {
                    h: Handle::new(self.h.tree.clone(), ino),
                    pos: 0,
                    read: o.read || !o.write,
                    write: o.write || o.append,
                    flags: o.fdflags & fdflags::ALL,
                })))
            }
        }
    }

    fn create_dir(&self, path: &[u8]) -> Result<(), Errno> {
        let mut tree = self.h.lock();
        let r = tree.resolve(self.h.ino, path, false)?;
        if r.node.is_some() {
            return Err(Errno::Exist);
        }
        tree.add(r.parent, &r.name, Kind::Dir(BTreeMap::new()))?;
        Ok(())
    }

    fn remove_dir(&self, path: &[u8]) -> Result<(), Errno> {
        let mut tree = self.h.lock();
        let r = tree.resolve(self.h.ino, path, false)?;
        let ino = r.node.ok_or(Errno::NoEnt)?;
        if r.name.is_empty() {
            // The start directory itself, or above: not removable through itself.
            return Err(Errno::Busy);
        }
        if !tree.children(ino)?.is_empty() {
            return Err(Errno::NotEmpty);
        }
        tree.unlink_name(r.parent, &r.name, ino)
    }

    fn unlink(&self, path: &[u8]) -> Result<(), Errno> {
        let mut tree = self.h.lock();
        let r = tree.resolve(self.h.ino, path, false)?;
        let ino = r.node.ok_or(Errno::NoEnt)?;
        if matches!(tree.node(ino)?.kind, Kind::Dir(_)) {
            return Err(Errno::IsDir);
        }
        tree.unlink_name(r.parent, &r.name, ino)
    }

    fn stat(&self, path: &[u8], follow: bool) -> Result<Filestat, Errno> {
        let tree = self.h.lock();
        let r = tree.resolve(self.h.ino, path, follow)?;
        tree.stat(r.node.ok_or(Errno::NoEnt)?)
    }

    fn set_times(
        &self,
        path: &[u8],
        follow: bool,
        atim: SetTime,
        mtim: SetTime,
    ) -> Result<(), Errno> {
        let mut tree = self.h.lock();
        let r = tree.resolve(self.h.ino, path, follow)?;
        tree.set_times(r.node.ok_or(Errno::NoEnt)?, atim, mtim)
    }

    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        let tree = self.h.lock();
        let r = tree.resolve(self.h.ino, path, false)?;
        match &tree.node(r.node.ok_or(Errno::NoEnt)?)?.kind {
            Kind::Symlink(target) => Ok(target.clone().into_bytes()),
            _ => Err(Errno::Inval),
        }
    }

    fn symlink(&self, target: &[u8], path: &[u8]) -> Result<(), Errno> {
        let target = utf8(target)?;
        if target.starts_with('/') {
            return Err(Errno::NotCapable);
        }
        let mut tree = self.h.lock();
        let r = tree.resolve(self.h.ino, path, false)?;
        if r.node.is_some() {
            return Err(Errno::Exist);
        }
        tree.add(r.parent, &r.name, Kind::Symlink(target.to_string()))?;
        Ok(())
    }

    fn link(
        &self,
        old: &[u8],
        follow: bool,
        new_dir: &dyn DirLike,
        new: &[u8],
    ) -> Result<(), Errno> {
        let other = self.same_fs(new_dir)?;
        let mut tree = self.h.lock();
        let from = tree.resolve(self.h.ino, old, follow)?;
        let ino = from.node.ok_or(Errno::NoEnt)?;
        if matches!(tree.node(ino)?.kind, Kind::Dir(_)) {
            return Err(Errno::Perm);
        }
        let to = tree.resolve(other.h.ino, new, false)?;
        if to.node.is_some() {
            return Err(Errno::Exist);
        }
        if tree.node(to.parent)?.nlink == 0 {
            return Err(Errno::NoEnt);
        }
        tree.children_mut(to.parent)?.insert(to.name, ino);
        let n = tree.node_mut(ino)?;
        n.nlink += 1;
        n.ctim = now();
        Ok(())
    }

    fn rename(&self, old: &[u8], new_dir: &dyn DirLike, new: &[u8]) -> Result<(), Errno> {
        let other = self.same_fs(new_dir)?;
        let mut tree = self.h.lock();
        let from = tree.resolve(self.h.ino, old, false)?;
        let ino = from.node.ok_or(Errno::NoEnt)?;
        let to = tree.resolve(other.h.ino, new, false)?;
        if from.name.is_empty() || to.name.is_empty() {
            return Err(Errno::Busy);
        }
        let moving_dir = matches!(tree.node(ino)?.kind, Kind::Dir(_));
        if let Some(existing) = to.node {
            if existing == ino {
                return Ok(());
            }
            match (&tree.node(existing)?.kind, moving_dir) {
                (Kind::Dir(entries), true) if !entries.is_empty() => return Err(Errno::NotEmpty),
                (Kind::Dir(_), true) => {}
                (Kind::Dir(_), false) => return Err(Errno::IsDir),
                (_, true) => return Err(Errno::NotDir),
                (_, false) => {}
            }
        }
        if moving_dir && tree.is_within(to.parent, ino) {
            return Err(Errno::Inval);
        }
        if tree.node(to.parent)?.nlink == 0 {
            return Err(Errno::NoEnt);
        }
        if let Some(existing) = to.node {
            tree.unlink_name(to.parent, &to.name, existing)?;
        }
        tree.children_mut(from.parent)?.remove(&from.name);
        tree.children_mut(to.parent)?.insert(to.name, ino);
        let t = now();
        for dir in [from.parent, to.parent] {
            let d = tree.node_mut(dir)?;
            d.mtim = t;
            d.ctim = t;
        }
        let n = tree.node_mut(ino)?;
        n.ctim = t;
        if moving_dir {
            n.parent = to.parent;
        }
        Ok(())
    }

    fn read_dir(&self) -> Result<Box<dyn DirStream>, Errno> {
        self.h.lock().children(self.h.ino)?;
        Ok(Box::new(MemDirStream {
            h: Handle::new(self.h.tree.clone(), self.h.ino),
            after: None,
        }))
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        self.h.lock().stat(self.h.ino)
    }

    fn set_own_times(&self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        self.h.lock().set_times(self.h.ino, atim, mtim)
    }
}

/// An open file of a [`MemFs`].
struct MemFile {
    h: Handle,
    pos: u64,
    read: bool,
    write: bool,
    flags: u16,
}

impl MemFile {
    fn with_data<T>(&self, f: impl FnOnce(&mut Vec<u8>) -> T) -> Result<T, Errno> {
        let mut tree = self.h.lock();
        match &mut tree.node_mut(self.h.ino)?.kind {
            Kind::File(data) => Ok(f(data)),
            _ => Err(Errno::Badf),
        }
    }

    fn touch(&self, modified: bool) {
        let t = now();
        if let Ok(n) = self.h.lock().node_mut(self.h.ino) {
            if modified {
                n.mtim = t;
                n.ctim = t;
            } else {
                n.atim = t;
            }
        }
    }
}

/// Copies `data[offset..]` into `buf`.
fn read_from(data: &[u8], buf: &mut [u8], offset: u64) -> usize {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let n = buf.len().min(data.len() - start);
    buf[..n].copy_from_slice(&data[start..start + n]);
    n
}

/// The largest file the in-memory file system holds (4 GiB, like wasm32 offsets).
const MAX_FILE: u64 = 1 << 32;

fn write_into(data: &mut Vec<u8>, buf: &[u8], offset: u64) -> Result<usize, Errno> {
    let end = offset.checked_add(buf.len() as u64).ok_or(Errno::Fbig)?;
    if end > MAX_FILE {
        return Err(Errno::Fbig);
    }
    let (start, end) = (offset as usize, end as usize);
    if data.len() < end {
        data.resize(end, 0);
    }
    data[start..end].copy_from_slice(buf);
    Ok(buf.len())
}

impl FileLike for MemFile {
    fn filetype(&self) -> u8 {
        filetype::REGULAR_FILE
    }

    fn access(&self) -> (bool, bool) {
        (self.read, self.write)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        let n = self.pread(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, Errno> {
        if !self.write {
            return Err(Errno::Badf);
        }
        let append = self.flags & fdflags::APPEND != 0;
        let pos = self.pos;
        let (n, end) = self.with_data(|data| {
            let at = if append { data.len() as u64 } else { pos };
            write_into(data, buf, at).map(|n| (n, at + n as u64))
        })??;
        self.pos = end;
        self.touch(true);
        Ok(n)
    }

    fn pread(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
        if !self.read {
            return Err(Errno::Badf);
        }
        let n = self.with_data(|data| read_from(data, buf, offset))?;
        self.touch(false);
        Ok(n)
    }

    fn pwrite(&mut self, buf: &[u8], offset: u64) -> Result<usize, Errno> {
        if !self.write {
            return Err(Errno::Badf);
        }
        let n = self.with_data(|data| write_into(data, buf, offset))??;
        self.touch(true);
        Ok(n)
    }

    fn seek(&mut self, offset: i64, whence: u8) -> Result<u64, Errno> {
        let base = match whence {
            whence::SET => 0,
            whence::CUR => self.pos,
            whence::END => self.with_data(|d| d.len() as u64)?,
            _ => return Err(Errno::Inval),
        };
        let pos = base.checked_add_signed(offset).ok_or(Errno::Inval)?;
        self.pos = pos;
        Ok(pos)
    }

    fn sync(&mut self) -> Result<(), Errno> {
        Ok(())
    }

    fn datasync(&mut self) -> Result<(), Errno> {
        Ok(())
    }

    fn fdflags(&self) -> u16 {
        self.flags
    }

    fn set_fdflags(&mut self, flags: u16) -> Result<(), Errno> {
        let changeable = fdflags::APPEND | fdflags::NONBLOCK;
        self.flags = (self.flags & !changeable) | (flags & changeable);
        Ok(())
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        self.h.lock().stat(self.h.ino)
    }

    fn set_size(&mut self, size: u64) -> Result<(), Errno> {
        if !self.write {
            return Err(Errno::Badf);
        }
        if size > MAX_FILE {
            return Err(Errno::Fbig);
        }
        self.with_data(|d| d.resize(size as usize, 0))?;
        self.touch(true);
        Ok(())
    }

    fn set_times(&mut self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        self.h.lock().set_times(self.h.ino, atim, mtim)
    }

    fn allocate(&mut self, offset: u64, len: u64) -> Result<(), Errno> {
        if !self.write {
            return Err(Errno::Badf);
        }
        let end = offset.checked_add(len).ok_or(Errno::Fbig)?;
        if end > MAX_FILE {
            return Err(Errno::Fbig);
        }
        self.with_data(|d| {
            if d.len() < end as usize {
                d.resize(end as usize, 0);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_opts(create: bool, write: bool) -> OpenOptions {
        OpenOptions {
            read: true,
            write,
            create,
            follow: true,
            ..OpenOptions::default()
        }
    }

    #[test]
    fn escapes_are_refused() {
        let fs = MemFs::new();
        fs.write_file("sub/file", b"x").unwrap();
        let root = fs.root();
        root.symlink(b"sub/file", b"ok_link").unwrap();
        root.symlink(b"..", b"up").unwrap();
        root.symlink(b"sub/../../x", b"deep").unwrap();
        let cases: &[(&str, Errno)] = &[
            ("..", Errno::NotCapable),
            ("../x", Errno::NotCapable),
            ("/sub/file", Errno::NotCapable),
            ("sub/../../x", Errno::NotCapable),
            ("up/x", Errno::NotCapable),
            ("deep", Errno::NotCapable),
            ("missing/file", Errno::NoEnt),
            ("sub/file/", Errno::NotDir),
        ];
        for (path, errno) in cases {
            assert_eq!(
                root.open(path.as_bytes(), &open_opts(false, false)).err(),
                Some(*errno),
                "{path}"
            );
        }
        assert!(root.open(b"ok_link", &open_opts(false, false)).is_ok());
        assert_eq!(root.symlink(b"/etc", b"abs").err(), Some(Errno::NotCapable));
    }

    #[test]
    fn symlink_loops_end_in_eloop() {
        let fs = MemFs::new();
        let root = fs.root();
        root.symlink(b"b", b"a").unwrap();
        root.symlink(b"a", b"b").unwrap();
        assert_eq!(
            root.open(b"a", &open_opts(false, false)).err(),
            Some(Errno::Loop)
        );
    }

    #[test]
    fn unlinked_open_file_stays_readable_then_is_freed() {
        let fs = MemFs::new();
        fs.write_file("f", b"data").unwrap();
        let root = fs.root();
        let Ok(Opened::File(mut f)) = root.open(b"f", &open_opts(false, false)) else {
            panic!("open failed");
        };
        root.unlink(b"f").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(f.read(&mut buf).unwrap(), 4);
        let nodes = fs.lock().nodes.len();
        drop(f);
        assert_eq!(fs.lock().nodes.len(), nodes - 1);
    }

    #[test]
    fn rename_rules() {
        let fs = MemFs::new();
        fs.write_file("d/inner", b"").unwrap();
        fs.write_file("file", b"1").unwrap();
        fs.create_dir_all("empty").unwrap();
        let root = fs.root();
        let r = root.as_ref();
        assert_eq!(r.rename(b"d", r, b"d/inner2"), Err(Errno::Inval));
        assert_eq!(r.rename(b"file", r, b"d"), Err(Errno::IsDir));
        assert_eq!(r.rename(b"empty", r, b"d"), Err(Errno::NotEmpty));
        assert_eq!(r.rename(b"d", r, b"file"), Err(Errno::NotDir));
        r.rename(b"d", r, b"empty").unwrap();
        assert_eq!(fs.read_dir(""), Some(vec!["empty".into(), "file".into()]));
        assert_eq!(fs.read_dir("empty"), Some(vec!["inner".into()]));
    }
}
