//! `Tag` and `Exception`: exception handling seen from the host.

use std::sync::Arc;

use wazero_api::ValueType;
use wazero_store::TagAddr;

use crate::shared::Shared;
use crate::{Error, Result};

/// An exception tag (exception handling): exported by a module, or defined
/// by a host module ([`HostModuleBuilder::export_tag`](crate::HostModuleBuilder::export_tag)).
///
/// Tags live as long as their runtime. An exception a guest throws with a
/// tag and nothing catches ends the call with [`Error::Exception`]; a host
/// function throws one into the guest by returning [`Exception::new`]'s
/// value as its error.
///
/// ```
/// use wazero::{Error, Runtime};
/// let runtime = Runtime::new();
/// let module = runtime.instantiate(&wat::parse_str(r#"(module
///     (tag $oops (export "oops") (param i32))
///     (func (export "fail") (throw $oops (i32.const 42))))"#)?)?;
/// let oops = module.exported_tag("oops").unwrap();
/// let err = module.exported_function("fail").unwrap().call(&[]).unwrap_err();
/// let Error::Exception(e) = err else { panic!("{err}") };
/// assert!(e.is_of(&oops));
/// assert_eq!(e.payload(), &[42]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Tag {
    shared: Arc<Shared>,
    addr: TagAddr,
    params: Arc<[ValueType]>,
    name: Arc<str>,
    /// Whether a host module defines it (then each store the host module is
    /// added to has a tag of that name: names tell them apart).
    host: bool,
}

impl Tag {
    pub(crate) fn new(
        shared: &Arc<Shared>,
        store: &wazero_store::Store,
        addr: TagAddr,
        host: bool,
    ) -> Self {
        Self {
            shared: shared.clone(),
            addr,
            params: store.tag_type(addr).params().into(),
            name: store.tags[addr.index()].debug_name.clone(),
            host,
        }
    }

    /// The payload's types.
    pub fn params(&self) -> &[ValueType] {
        &self.params
    }

    /// Its name in errors (`module.export`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl PartialEq for Tag {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared) && self.addr == other.addr
    }
}

impl Eq for Tag {}

impl std::fmt::Debug for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tag")
            .field("name", &self.name)
            .field("params", &self.params)
            .finish()
    }
}

/// An exception: a tag and its payload, one `u64` per value (two for a
/// `v128`, low half first), as the guest threw it or as a host function
/// throws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception(Box<wazero_store::Exception>);

impl Exception {
    /// An exception of `tag` with `payload`, for a host function to throw
    /// (return it as the error: `Err(Exception::new(&tag, &[1])?)?`). The
    /// payload must have the tag's types; references in it are checked when
    /// it is thrown.
    pub fn new(tag: &Tag, payload: &[u64]) -> Result<Self> {
        let slots: usize = tag.params.iter().map(|t| t.slots()).sum();
        if payload.len() != slots {
            return Err(Error::InvalidArgument(format!(
                "an exception of tag {} has {slots} payload slots, not {}",
                tag.name,
                payload.len()
            )));
        }
        Ok(Self(Box::new(wazero_store::Exception {
            tag: tag.addr,
            tag_name: tag.name.clone(),
            types: tag.params.to_vec(),
            payload: payload.to_vec(),
        })))
    }

    /// Whether its tag is `tag`.
    pub fn is_of(&self, tag: &Tag) -> bool {
        self.0.tag_name == tag.name
            && self.0.types[..] == tag.params[..]
            && (tag.host || self.0.tag == tag.addr)
    }

    /// Its tag's name (`module.export`, or `module.$tagN` for a tag the
    /// module does not export).
    pub fn tag_name(&self) -> &str {
        &self.0.tag_name
    }

    /// The payload's types.
    pub fn types(&self) -> &[ValueType] {
        &self.0.types
    }

    /// The payload.
    pub fn payload(&self) -> &[u64] {
        &self.0.payload
    }

    pub(crate) fn from_inner(inner: Box<wazero_store::Exception>) -> Self {
        Self(inner)
    }

    pub(crate) fn into_inner(self) -> Box<wazero_store::Exception> {
        self.0
    }
}

impl std::fmt::Display for Exception {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Exception {}

/// `Err(exception)?` in a host function returning [`Error`] throws it.
impl From<Exception> for Error {
    fn from(e: Exception) -> Self {
        Error::Exception(e)
    }
}
