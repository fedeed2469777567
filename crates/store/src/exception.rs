//! Exception handling's run-time objects: tags, and the exceptions thrown
//! with them.
//!
//! A tag is a store object like a global: defined by a module or by the host,
//! imported and exported, compared by identity. An exception is a tag and
//! its payload, kept in the store while the guest holds it; an `exnref` value
//! is its index plus one (`0` is null), like a function reference.
//!
//! Nothing traces the slots that hold `exnref` values (there is no garbage
//! collector), so an exception the guest could still reach is never freed:
//! one caught by a clause that keeps no reference (`catch`, `catch_all`) is
//! freed at once, as is one that leaves the guest; one that became an
//! `exnref` value (`catch_ref`, `catch_all_ref`, the legacy `catch`, which
//! `rethrow` may throw again) lives as long as its store, within
//! [`StoreLimits::max_exceptions`](crate::StoreLimits::max_exceptions).

use std::fmt;
use std::sync::Arc;

use wazero_api::{FuncType, TrapCode, ValueType};

use crate::{CallError, SigId, Store, TagAddr};

/// An exception tag.
#[derive(Debug, Clone)]
pub struct TagInstance {
    /// Its type's signature, interned in the store: the parameters are the
    /// payload's types, and there are no results.
    pub sig: SigId,
    /// `module.name` (the export name, or `$index`), for errors.
    pub debug_name: Arc<str>,
}

/// A thrown exception held by the store.
#[derive(Debug, Clone)]
pub struct ExceptionInstance {
    /// Its tag.
    pub tag: TagAddr,
    /// Its payload, the tag's parameter types in order (a `v128` in two slots).
    pub payload: Box<[u64]>,
    /// Whether the guest may hold an `exnref` to it (then it is never freed).
    pub referenced: bool,
}

/// An exception that left the guest: its tag and payload.
///
/// A host function can throw one (return it as its error); a call whose
/// guest code throws an exception nothing catches fails with one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// Its tag.
    pub tag: TagAddr,
    /// The tag's name (`module.name`), for messages.
    pub tag_name: Arc<str>,
    /// The payload's types.
    pub types: Vec<ValueType>,
    /// The payload, in slots (a `v128` takes two).
    pub payload: Vec<u64>,
}

impl fmt::Display for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uncaught wasm exception of tag {}", self.tag_name)?;
        if !self.types.is_empty() {
            f.write_str(" with payload (")?;
            let mut at = 0;
            for (i, ty) in self.types.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                match ty {
                    ValueType::V128 => {
                        let lo = self.payload.get(at).copied().unwrap_or(0);
                        let hi = self.payload.get(at + 1).copied().unwrap_or(0);
                        write!(
                            f,
                            "{sep}{ty} {:#034x}",
                            u128::from(lo) | u128::from(hi) << 64
                        )?
                    }
                    _ => write!(
                        f,
                        "{sep}{ty} {:#x}",
                        self.payload.get(at).copied().unwrap_or(0)
                    )?,
                }
                at += ty.slots();
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for Exception {}

/// The store's exceptions, by index.
#[derive(Debug, Default)]
pub(crate) struct Exceptions {
    slots: Vec<Option<ExceptionInstance>>,
    free: Vec<u32>,
}

impl Store {
    /// Defines a tag whose payload has the parameter types of `ty` (its
    /// results must be empty), named `debug_name` in errors.
    pub fn new_tag(&mut self, ty: &FuncType, debug_name: &str) -> TagAddr {
        let sig = self.intern(ty);
        self.tags.push(TagInstance {
            sig,
            debug_name: debug_name.into(),
        });
        TagAddr(self.tags.len() as u32 - 1)
    }

    /// The payload types of tag `tag`.
    pub fn tag_type(&self, tag: TagAddr) -> &FuncType {
        self.sig_type(self.tags[tag.index()].sig)
    }

    /// Creates an exception of `tag` with `payload`; returns its `exnref`.
    /// Fails with [`TrapCode::TooManyExceptions`] past the store's limit.
    pub fn new_exception(&mut self, tag: TagAddr, payload: &[u64]) -> Result<u64, TrapCode> {
        let exn = ExceptionInstance {
            tag,
            payload: payload.into(),
            referenced: false,
        };
        let index = match self.exceptions.free.pop() {
            Some(i) => {
                self.exceptions.slots[i as usize] = Some(exn);
                i
            }
            None => {
                if self.exceptions.slots.len() >= self.limits.max_exceptions as usize {
                    return Err(TrapCode::TooManyExceptions);
                }
                self.exceptions.slots.push(Some(exn));
                self.exceptions.slots.len() as u32 - 1
            }
        };
        Ok(u64::from(index) + 1)
    }

    /// The exception `exnref` refers to (`None` for null or a value that is
    /// no live exception of this store).
    pub fn exception(&self, exnref: u64) -> Option<&ExceptionInstance> {
        let index = usize::try_from(exnref.checked_sub(1)?).ok()?;
        self.exceptions.slots.get(index)?.as_ref()
    }

    /// Marks exception `exnref` as held by the guest: it is never freed.
    pub fn keep_exception(&mut self, exnref: u64) {
        let Some(index) = exnref.checked_sub(1) else {
            return;
        };
        if let Some(Some(exn)) = self.exceptions.slots.get_mut(index as usize) {
            exn.referenced = true;
        }
    }

    /// Frees exception `exnref` unless the guest may hold it
    /// ([`Store::keep_exception`]).
    pub fn release_exception(&mut self, exnref: u64) {
        let Some(index) = exnref.checked_sub(1) else {
            return;
        };
        if let Some(slot) = self.exceptions.slots.get_mut(index as usize) {
            if slot.as_ref().is_some_and(|e| !e.referenced) {
                *slot = None;
                self.exceptions.free.push(index as u32);
            }
        }
    }

    /// How many exceptions the store holds.
    pub fn live_exceptions(&self) -> usize {
        self.exceptions.slots.len() - self.exceptions.free.len()
    }

    /// The host's view of exception `exnref`, which leaves the guest: it is
    /// released (see [`Store::release_exception`]).
    pub fn escape_exception(&mut self, exnref: u64) -> Option<Exception> {
        let exn = self.exception(exnref)?;
        let tag = exn.tag;
        let escaped = Exception {
            tag,
            tag_name: self.tags[tag.index()].debug_name.clone(),
            types: self.tag_type(tag).params().to_vec(),
            payload: exn.payload.to_vec(),
        };
        self.release_exception(exnref);
        Some(escaped)
    }

    /// Throws `exception`, which came from the host (a host function's
    /// error, or an exception that left a nested call), into the guest: a new
    /// exception of its tag and payload; returns its `exnref`. The tag must be
    /// one of this store's and the payload of its types, so that the host
    /// cannot forge references.
    pub fn throw_from_host(&mut self, exception: &Exception) -> Result<u64, CallError> {
        let bad = |why: String| CallError::Host {
            function: "(a host function)".to_string(),
            error: why.into(),
        };
        let tag = self.tag_for(exception);
        let sig = self.tags[tag.index()].sig;
        let ty = self.sig_type(sig);
        if exception.payload.len() != ty.param_slots()
            || self
                .invalid_ref(ty.params(), &exception.payload, sig)
                .is_some()
        {
            return Err(bad(format!(
                "the payload of an exception of tag {} does not have the tag's types {ty}",
                exception.tag_name
            )));
        }
        self.new_exception(tag, &exception.payload)
            .map_err(|code| CallError::Trap(crate::Trap::new(code)))
    }

    /// This store's tag for an exception from the host: its own tag when the
    /// exception names one of this store's, else the tag of that name and
    /// type here (a host module's tag is defined anew in each store the host
    /// module is added to), else a new tag of that name and type, which only
    /// `catch_all` can catch.
    fn tag_for(&mut self, exception: &Exception) -> TagAddr {
        let ty = FuncType::new(exception.types.clone(), Vec::new());
        let same = |store: &Store, t: &TagInstance| {
            t.debug_name == exception.tag_name && *store.sig_type(t.sig) == ty
        };
        if let Some(t) = self.tags.get(exception.tag.index()) {
            if same(self, t) {
                return exception.tag;
            }
        }
        if let Some(i) = self.tags.iter().position(|t| same(self, t)) {
            return TagAddr(i as u32);
        }
        self.new_tag(&ty, &exception.tag_name)
    }
}
