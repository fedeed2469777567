//! Exception handling: `throw`, `throw_ref`, `try_table` and the legacy
//! `try`, `catch`, `catch_all`, `rethrow` and `delegate`.
//!
//! In a module that catches exceptions ([`ValidatedModule::catches`]), an
//! exception travels through the VM context ([`VmCtx::exception`]): `throw`
//! makes it and puts it there, and every call is followed by a test of it.
//! Where it is set, control goes to the *dispatch block* of the innermost
//! block with handlers around that point, which asks the runtime, clause by
//! clause, whether the exception is caught; one that catches it delivers the
//! payload to the clause's label. A dispatch block whose clauses do not
//! catch goes on to the next block's, and the last one returns from the
//! function (with zero results), leaving the exception for the caller's
//! test. Entering a `try_table` costs nothing; a call costs a load and a
//! branch that is not taken. In modules that cannot catch, a thrown
//! exception leaves the call like a trap and calls are not followed by tests.
//!
//! [`ValidatedModule::catches`]: wazero_validator::ValidatedModule::catches
//! [`VmCtx::exception`]: crate::vmctx::VmCtx::exception

use cranelift_codegen::ir::types::{I32, I64};
use cranelift_codegen::ir::{Block, InstBuilder, Type, Value};
use cranelift_frontend::Variable;
use wasmparser::Catch;
use wazero_api::ValueType;

use super::{block_args, cl_types, load_slot, slot_offsets, store_slot, trusted, zero, Translator};
use crate::trap::RAISED;
use crate::vmctx;

/// The exception handling of a `try_table` or legacy `try` being translated.
#[derive(Default)]
pub(super) struct TryBlock {
    /// A `try_table`'s clauses.
    catches: Vec<Catch>,
    /// Whether it is a legacy `try`.
    legacy: bool,
    /// Legacy `try`: whether its body is over (a clause started).
    in_clause: bool,
    /// Legacy `try`: each clause's tag (`None` for `catch_all`) and block,
    /// whose parameters are the payload and the `exnref`.
    clauses: Vec<(Option<u32>, Block)>,
    /// Legacy `try`: the exception its clauses caught, for `rethrow`.
    exn: Option<Variable>,
    /// Legacy `try`: whether a `rethrow` throws its exception again.
    rethrown: bool,
    /// Its dispatch block, made when a point of its body first needs it.
    dispatch: Option<Block>,
}

/// A dispatch block to fill at the end of the function, when every block is
/// complete.
pub(super) struct Dispatch {
    block: Block,
    clauses: Vec<Clause>,
    /// Where an exception no clause catches goes.
    then: Block,
}

/// One catch clause of a dispatch block.
struct Clause {
    /// The module's tag index, `None` for any exception.
    tag: Option<u32>,
    /// Whether the guest may keep the `exnref`.
    keep: bool,
    /// Whether the `exnref` is passed after the payload.
    with_ref: bool,
    /// Where it goes with the payload (and the `exnref`).
    target: Block,
}

impl Translator<'_, '_> {
    /// Whether exceptions can be caught in this module's code.
    pub(super) fn catches(&self) -> bool {
        self.module.catches()
    }

    /// The payload types of tag `tag`.
    fn tag_params(&self, tag: u32) -> Vec<ValueType> {
        let types = self.module.tag_types();
        self.module.types[types[tag as usize] as usize]
            .params()
            .to_vec()
    }

    /// Where an exception thrown here goes: the dispatch block of the
    /// innermost block whose handlers cover this point, else the block that
    /// returns it to the caller.
    pub(super) fn raise_target(&mut self) -> Block {
        self.raise_target_from(self.frames.len())
    }

    /// [`Self::raise_target`] for a point inside frame `below - 1`.
    fn raise_target_from(&mut self, below: usize) -> Block {
        for i in (0..below).rev() {
            let covers = match &self.frames[i].eh {
                Some(eh) => !eh.in_clause,
                None => false,
            };
            if covers {
                if let Some(block) = self.frames[i].eh.as_ref().and_then(|eh| eh.dispatch) {
                    return block;
                }
                let block = self.b.create_block();
                self.b.set_cold_block(block);
                self.frames[i].eh.as_mut().expect("checked").dispatch = Some(block);
                return block;
            }
        }
        self.propagate_block()
    }

    /// The block that returns from the function with an exception pending.
    fn propagate_block(&mut self) -> Block {
        if let Some(block) = self.propagate {
            return block;
        }
        let block = self.b.create_block();
        self.b.set_cold_block(block);
        self.propagate = Some(block);
        block
    }

    /// After a call, in a module that catches: goes to the handlers when
    /// the callee threw (with `tail`, to the caller: a tail call leaves this
    /// function's handlers).
    pub(super) fn after_call(&mut self, tail: bool) {
        if !self.catches() {
            return;
        }
        let target = match tail {
            true => self.propagate_block(),
            false => self.raise_target(),
        };
        let exn = self
            .b
            .ins()
            .load(I64, trusted(), self.vmctx, vmctx::EXCEPTION);
        let cont = self.b.create_block();
        self.b.ins().brif(exn, target, &[], cont, &[]);
        self.b.switch_to_block(cont);
    }

    /// After the runtime call that threw: on to the handlers, or (in a module
    /// that cannot catch, where the runtime call left a pending error) the
    /// trap that ends the call. Ends the block.
    fn raise(&mut self) {
        self.check_trap();
        if self.catches() {
            let target = self.raise_target();
            self.b.ins().jump(target, &[]);
        } else {
            self.b.ins().trap(RAISED);
        }
        self.reachable = false;
    }

    /// `throw tag`.
    pub(super) fn throw(&mut self, tag: u32) {
        let params = self.tag_params(tag);
        let values = self.pop_n(params.len());
        let area = self.slot_area(params.iter().map(|t| t.slots()).sum());
        for (&v, o) in values.iter().zip(slot_offsets(&params)) {
            store_slot(&mut self.b, v, area, o);
        }
        let tag = self.iconst32(tag);
        self.builtin(builtin!(throw), &[tag, area], &[]);
        self.raise();
    }

    /// `throw_ref` of `exn` (the legacy `rethrow` too).
    fn throw_ref_of(&mut self, exn: Value) {
        self.builtin(builtin!(throw_ref), &[exn], &[]);
        self.raise();
    }

    /// `throw_ref`.
    pub(super) fn throw_ref(&mut self) {
        let exn = self.pop();
        self.throw_ref_of(exn);
    }

    /// Legacy `rethrow depth`: the exception the clause at `depth` caught.
    pub(super) fn rethrow(&mut self, depth: u32) {
        let i = self.frames.len() - 1 - depth as usize;
        let eh = self.frames[i]
            .eh
            .as_mut()
            .expect("validated: rethrow in a catch");
        eh.rethrown = true;
        let var = eh.exn.expect("a legacy try has its variable");
        let exn = self.b.use_var(var);
        self.throw_ref_of(exn);
    }

    /// Makes the frame just pushed a `try_table` with `catches` or (with
    /// `None`) a legacy `try`.
    pub(super) fn enter_try(&mut self, catches: Option<Vec<Catch>>) {
        let legacy = catches.is_none();
        let exn = legacy.then(|| self.b.declare_var(I64));
        if let Some(var) = exn {
            let z = self.b.ins().iconst(I64, 0);
            self.b.def_var(var, z);
        }
        let frame = self.frames.last_mut().expect("just pushed");
        frame.eh = Some(Box::new(TryBlock {
            catches: catches.unwrap_or_default(),
            legacy,
            exn,
            ..TryBlock::default()
        }));
    }

    /// Legacy `catch tag` (`catch_all` with `None`): ends the body or the
    /// clause before, and starts a clause.
    pub(super) fn legacy_catch(&mut self, tag: Option<u32>) {
        let frame = self.frames.last_mut().expect("validated: catch in a try");
        if self.reachable {
            frame.next_reachable = true;
            let results = self.stack.split_off(self.stack.len() - frame.num_results);
            let next = frame.next;
            self.b.ins().jump(next, &block_args(&results));
        }
        let params = tag.map(|t| self.tag_params(t)).unwrap_or_default();
        let mut types: Vec<Type> = cl_types(&params).expect("validated types are supported");
        types.push(I64);
        let block = self.new_block_with(&types);
        let frame = self.frames.last_mut().expect("checked");
        let height = frame.height;
        let eh = frame.eh.as_mut().expect("a try has its state");
        eh.in_clause = true;
        eh.clauses.push((tag, block));
        let var = eh.exn.expect("a legacy try has its variable");
        self.stack.truncate(height);
        self.b.switch_to_block(block);
        let mut values = self.b.block_params(block).to_vec();
        let exn = values.pop().expect("the exnref parameter");
        self.b.def_var(var, exn);
        self.stack.extend(values);
        self.reachable = true;
    }

    /// Records what the dispatch block of a `try_table` or legacy `try` that
    /// ends now does; `delegate` is a legacy `delegate`'s label. Called with
    /// the frame already popped; makes no code yet (see [`Self::fill_dispatches`]).
    pub(super) fn close_try(&mut self, eh: TryBlock, delegate: Option<u32>) {
        let Some(block) = eh.dispatch else {
            // Nothing in its body can throw.
            return;
        };
        let then = match delegate {
            // The label is outside the `try`: the search goes on with the
            // blocks around it.
            Some(depth) => {
                let below = self.frames.len().saturating_sub(depth as usize);
                self.raise_target_from(below)
            }
            None => self.raise_target(),
        };
        let mut clauses = Vec::new();
        if eh.legacy {
            for (tag, target) in eh.clauses {
                clauses.push(Clause {
                    tag,
                    keep: eh.rethrown,
                    with_ref: true,
                    target,
                });
            }
        } else {
            for catch in eh.catches {
                let (tag, label, with_ref) = wazero_validator::catch_clause(&catch);
                let (target, _) = self.target(label);
                clauses.push(Clause {
                    tag,
                    keep: with_ref,
                    with_ref,
                    target,
                });
            }
        }
        self.dispatches.push(Dispatch {
            block,
            clauses,
            then,
        });
    }

    /// Emits the dispatch blocks and the block that returns with an
    /// exception: at the end of the function, when every other block is
    /// complete.
    pub(super) fn fill_dispatches(&mut self) {
        for d in std::mem::take(&mut self.dispatches) {
            self.b.switch_to_block(d.block);
            for clause in d.clauses {
                let params = clause.tag.map(|t| self.tag_params(t)).unwrap_or_default();
                let exn = self
                    .b
                    .ins()
                    .load(I64, trusted(), self.vmctx, vmctx::EXCEPTION);
                let area = self.slot_area(params.iter().map(|t| t.slots()).sum());
                let tag = self.iconst32(clause.tag.unwrap_or(u32::MAX));
                let keep = self.iconst32(u32::from(clause.keep));
                let caught = self.builtin(builtin!(catch), &[tag, keep, area], &[I32])[0];
                let matched = self.b.create_block();
                let next = self.b.create_block();
                self.b.ins().brif(caught, matched, &[], next, &[]);
                self.b.switch_to_block(matched);
                let types = cl_types(&params).expect("validated types are supported");
                let mut values: Vec<Value> = types
                    .iter()
                    .zip(slot_offsets(&params))
                    .map(|(&t, o)| load_slot(&mut self.b, t, area, o))
                    .collect();
                if clause.with_ref {
                    values.push(exn);
                }
                self.b.ins().jump(clause.target, &block_args(&values));
                self.b.switch_to_block(next);
            }
            self.b.ins().jump(d.then, &[]);
        }
        if let Some(block) = self.propagate {
            self.b.switch_to_block(block);
            match self.results_area {
                Some(_) => {
                    self.b.ins().return_(&[]);
                }
                None => {
                    let types: Vec<Type> = self
                        .b
                        .func
                        .signature
                        .returns
                        .iter()
                        .map(|p| p.value_type)
                        .collect();
                    let zeros: Vec<Value> =
                        types.into_iter().map(|t| zero(&mut self.b, t)).collect();
                    self.b.ins().return_(&zeros);
                }
            }
        }
    }
}
