//! The pass ahead of translation: a function's constants and legacy `try`s.
//!
//! The translator must know them before it translates the first operator (the
//! constants' slots lie below every temporary's, and so does a slot per
//! `try`). The pass visits the operators with wasmparser's `VisitOperator`,
//! so the operators it does not look at cost their decoding only, not an
//! `Operator` value each.

use std::collections::HashMap;

use wasmparser::{VisitOperator, VisitSimdOperator};

/// The most constants a function keeps in slots; further ones are
/// materialized by instructions.
pub(crate) const MAX_CONST_SLOTS: usize = 1024;

/// A function's constants by value: their slots.
pub(crate) type ConstMap<K> = HashMap<K, u32, std::hash::BuildHasherDefault<ConstHasher>>;

/// What the pass finds.
#[derive(Default)]
pub(crate) struct PreScan {
    /// How many legacy `try` blocks the function has.
    pub(crate) tries: u32,
    /// Scalar constants (and null references, as 0): their slots, counted
    /// from the first constant slot.
    pub(crate) consts: ConstMap<u64>,
    /// `v128` constants and shuffle lanes (two slots each), likewise.
    pub(crate) consts128: ConstMap<u128>,
    /// The constants' slot values, in slot order.
    pub(crate) init: Vec<u64>,
    /// Which locals may be read before they are assigned.
    pub(crate) reads: FirstReads,
}

impl PreScan {
    /// Scans the operators of `ops` (a clone: the caller's reader stays
    /// where it is).
    /// `params` is the function's parameter count, `locals` its count of
    /// parameters and locals.
    pub(crate) fn of(
        ops: &wasmparser::OperatorsReader<'_>,
        params: u32,
        locals: u32,
    ) -> Result<Self, String> {
        let mut scan = Self {
            reads: FirstReads::new(params, locals),
            ..Self::default()
        };
        let mut ops = ops.clone();
        while !ops.eof() {
            ops.visit_operator(&mut scan).map_err(|e| e.to_string())?;
        }
        Ok(scan)
    }

    fn constant(&mut self, value: u64) {
        if self.consts.len() < MAX_CONST_SLOTS && !self.consts.contains_key(&value) {
            self.consts.insert(value, self.init.len() as u32);
            self.init.push(value);
        }
    }

    fn constant128(&mut self, value: u128) {
        if self.consts128.len() < MAX_CONST_SLOTS && !self.consts128.contains_key(&value) {
            self.consts128.insert(value, self.init.len() as u32);
            self.init.push(value as u64);
            self.init.push((value >> 64) as u64);
        }
    }
}

/// One visit method: the operators the pass looks at, then all others.
macro_rules! scan_method {
    (visit_i32_const ($value:ident: $ty:ty)) => {
        fn visit_i32_const(&mut self, $value: $ty) {
            self.constant($value as u32 as u64);
        }
    };
    (visit_i64_const ($value:ident: $ty:ty)) => {
        fn visit_i64_const(&mut self, $value: $ty) {
            self.constant($value as u64);
        }
    };
    (visit_f32_const ($value:ident: $ty:ty)) => {
        fn visit_f32_const(&mut self, $value: $ty) {
            self.constant(u64::from($value.bits()));
        }
    };
    (visit_f64_const ($value:ident: $ty:ty)) => {
        fn visit_f64_const(&mut self, $value: $ty) {
            self.constant($value.bits());
        }
    };
    (visit_ref_null ($($arg:ident: $ty:ty),*)) => {
        fn visit_ref_null(&mut self, $(_: $ty),*) {
            self.constant(0);
        }
    };
    (visit_v128_const ($value:ident: $ty:ty)) => {
        fn visit_v128_const(&mut self, $value: $ty) {
            self.constant128(u128::from_le_bytes(*$value.bytes()));
        }
    };
    (visit_i8x16_shuffle ($lanes:ident: $ty:ty)) => {
        fn visit_i8x16_shuffle(&mut self, $lanes: $ty) {
            self.constant128(u128::from_le_bytes($lanes));
        }
    };
    (visit_try ($($arg:ident: $ty:ty),*)) => {
        fn visit_try(&mut self, $(_: $ty),*) {
            self.tries += 1;
            self.reads.enter(BlockKind::Block);
        }
    };
    (visit_local_get ($a:ident: $ty:ty)) => { scan_method!(@pass visit_local_get ($a: $ty) get); };
    (visit_local_set ($a:ident: $ty:ty)) => { scan_method!(@pass visit_local_set ($a: $ty) set); };
    (visit_local_tee ($a:ident: $ty:ty)) => { scan_method!(@pass visit_local_tee ($a: $ty) set); };
    (visit_br_if ($a:ident: $ty:ty)) => { scan_method!(@pass visit_br_if ($a: $ty) branch); };
    (visit_br_on_null ($a:ident: $ty:ty)) => { scan_method!(@pass visit_br_on_null ($a: $ty) branch); };
    (visit_br_on_non_null ($a:ident: $ty:ty)) => {
        scan_method!(@pass visit_br_on_non_null ($a: $ty) branch);
    };
    (visit_block ($($arg:ident: $ty:ty),*)) => {
        scan_method!(@call visit_block ($($arg: $ty),*) enter(BlockKind::Block));
    };
    (visit_if ($($arg:ident: $ty:ty),*)) => {
        scan_method!(@call visit_if ($($arg: $ty),*) enter(BlockKind::If));
    };
    (visit_loop ($($arg:ident: $ty:ty),*)) => {
        scan_method!(@call visit_loop ($($arg: $ty),*) enter(BlockKind::Loop));
    };
    (visit_else ()) => { scan_method!(@call visit_else () restart()); };
    (visit_catch ($($arg:ident: $ty:ty),*)) => { scan_method!(@call visit_catch ($($arg: $ty),*) restart()); };
    (visit_catch_all ()) => { scan_method!(@call visit_catch_all () restart()); };
    (visit_end ()) => { scan_method!(@call visit_end () end()); };
    (visit_delegate ($($arg:ident: $ty:ty),*)) => { scan_method!(@call visit_delegate ($($arg: $ty),*) end()); };
    (visit_br ($depth:ident: $ty:ty)) => {
        fn visit_br(&mut self, $depth: $ty) {
            self.reads.branch($depth);
            self.reads.stop();
        }
    };
    (visit_try_table ($table:ident: $ty:ty)) => {
        fn visit_try_table(&mut self, $table: $ty) {
            // An exception thrown in the body goes to a clause's label
            // with at least the locals assigned before the `try_table`;
            // the labels are outside it.
            for catch in &$table.catches {
                let (_, label, _) = wazero_validator::catch_clause(catch);
                self.reads.branch(label);
            }
            self.reads.enter(BlockKind::Block);
        }
    };
    (visit_br_table ($targets:ident: $ty:ty)) => {
        fn visit_br_table(&mut self, $targets: $ty) {
            for depth in $targets.targets().flatten() {
                self.reads.branch(depth);
            }
            self.reads.branch($targets.default());
            self.reads.stop();
        }
    };
    // A visit method passing its one argument to a method of the analysis.
    (@pass $visit:ident ($a:ident: $ty:ty) $method:ident) => {
        fn $visit(&mut self, $a: $ty) {
            self.reads.$method($a);
        }
    };
    // A visit method calling the analysis without its arguments.
    (@call $visit:ident ($($arg:ident: $ty:ty),*) $($call:tt)*) => {
        fn $visit(&mut self, $(_: $ty),*) {
            self.reads.$($call)*;
        }
    };
    // Operators after which the code is unreachable.
    (visit_unreachable ()) => { scan_method!(@call visit_unreachable () stop()); };
    (visit_return ()) => { scan_method!(@call visit_return () stop()); };
    (visit_throw ($($arg:ident: $ty:ty),*)) => { scan_method!(@call visit_throw ($($arg: $ty),*) stop()); };
    (visit_throw_ref ()) => { scan_method!(@call visit_throw_ref () stop()); };
    (visit_rethrow ($($arg:ident: $ty:ty),*)) => { scan_method!(@call visit_rethrow ($($arg: $ty),*) stop()); };
    (visit_return_call ($($arg:ident: $ty:ty),*)) => {
        scan_method!(@call visit_return_call ($($arg: $ty),*) stop());
    };
    (visit_return_call_indirect ($($arg:ident: $ty:ty),*)) => {
        scan_method!(@call visit_return_call_indirect ($($arg: $ty),*) stop());
    };
    (visit_return_call_ref ($($arg:ident: $ty:ty),*)) => {
        scan_method!(@call visit_return_call_ref ($($arg: $ty),*) stop());
    };
    ($visit:ident ($($arg:ident: $ty:ty),*)) => {
        fn $visit(&mut self, $(_: $ty),*) {}
    };
}

/// Operators of proposals the analysis of first reads does not follow (and
/// the validator does not accept): should one come, every local is zeroed.
macro_rules! scan_proposal_method {
    (gc $visit:ident ($($arg:ident: $ty:ty),*)) => {
        scan_method!(@call $visit ($($arg: $ty),*) give_up());
    };
    (stack_switching $visit:ident ($($arg:ident: $ty:ty),*)) => {
        scan_method!(@call $visit ($($arg: $ty),*) give_up());
    };
    ($proposal:ident $visit:ident ($($arg:ident: $ty:ty),*)) => {
        scan_method!($visit ($($arg: $ty),*));
    };
}

macro_rules! define_visit_operator {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(scan_proposal_method!($proposal $visit ($($($arg: $argty),*)?));)*
    };
}

impl<'a> VisitOperator<'a> for PreScan {
    type Output = ();

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = Self::Output>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(define_visit_operator);
}

impl VisitSimdOperator<'_> for PreScan {
    wasmparser::for_each_visit_simd_operator!(define_visit_operator);
}

/// Which locals a function may read before it assigns them: those need
/// their initial zero; the others are written before they are read on every
/// path, so a call need not zero them (see `compact_frame`).
///
/// A forward pass over the structured code keeps the set of locals assigned
/// on every path to the current operator. A block's end is reached with the
/// intersection of the sets of the branches to it and of its fall-through; a
/// loop's start with the set at its entry (a back edge only adds locals), an
/// `else` or a `catch` with the set at the block's entry, and a
/// `try_table`'s catch labels with the set at its entry (a throw in the body
/// only adds locals). Code after a branch is unreachable and reads nothing.
#[derive(Default)]
pub(crate) struct FirstReads {
    /// The parameters (always assigned).
    params: u32,
    /// Locals assigned on every path here, by index after the parameters;
    /// `None` in unreachable code.
    assigned: Option<Bits>,
    /// The enclosing blocks, innermost last (the function's body first).
    blocks: Vec<Block>,
    /// Locals that may be read before they are assigned.
    read_first: Bits,
    /// Whether an operator was not followed: then every local counts as
    /// read first.
    gave_up: bool,
}

/// A block of [`FirstReads`].
struct Block {
    kind: BlockKind,
    /// The set at its entry (`None` if unreachable).
    entry: Option<Bits>,
    /// The intersection of the sets of the branches to its end so far
    /// (`None`: none yet).
    exit: Option<Bits>,
}

/// What a [`Block`] is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    /// A `block`, a `try_table`, a legacy `try`, an `if` after its `else`.
    Block,
    /// A `loop`: branches go to its start.
    Loop,
    /// An `if` before any `else`: without one, its end is also reached
    /// with its entry set.
    If,
}

/// A set of locals.
#[derive(Clone, Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: u32) -> Self {
        Self(vec![0; (n as usize).div_ceil(64)])
    }
    fn has(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
    fn add(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn meet(a: Option<Bits>, b: Option<&Bits>) -> Option<Bits> {
        match (a, b) {
            (Some(mut a), Some(b)) => {
                a.0.iter_mut().zip(&b.0).for_each(|(x, y)| *x &= y);
                Some(a)
            }
            (a, None) => a,
            (None, Some(b)) => Some(b.clone()),
        }
    }
}

impl FirstReads {
    fn new(params: u32, locals: u32) -> Self {
        let n = locals - params;
        Self {
            params,
            assigned: Some(Bits::new(n)),
            blocks: vec![Block {
                kind: BlockKind::Block,
                entry: Some(Bits::new(n)),
                exit: None,
            }],
            read_first: Bits::new(n),
            gave_up: false,
        }
    }

    /// Whether local `index` (counting the parameters) may be read before it
    /// is assigned.
    pub(crate) fn may_read_first(&self, index: u32) -> bool {
        self.gave_up || index < self.params || self.read_first.has((index - self.params) as usize)
    }

    fn get(&mut self, local: u32) {
        if let (Some(assigned), Some(i)) = (&self.assigned, local.checked_sub(self.params)) {
            if !assigned.has(i as usize) {
                self.read_first.add(i as usize);
            }
        }
    }

    fn set(&mut self, local: u32) {
        if let (Some(assigned), Some(i)) = (&mut self.assigned, local.checked_sub(self.params)) {
            assigned.add(i as usize);
        }
    }

    fn enter(&mut self, kind: BlockKind) {
        self.blocks.push(Block {
            kind,
            entry: self.assigned.clone(),
            exit: None,
        });
    }

    /// A branch to label `depth` from here.
    fn branch(&mut self, depth: u32) {
        let Some(assigned) = &self.assigned else {
            return;
        };
        let Some(at) = self.blocks.len().checked_sub(1 + depth as usize) else {
            // Not a label of the body (the validator refuses such code).
            self.gave_up = true;
            return;
        };
        let block = &mut self.blocks[at];
        if block.kind != BlockKind::Loop {
            block.exit = Bits::meet(block.exit.take(), Some(assigned));
        }
    }

    /// Unreachable code follows.
    fn stop(&mut self) {
        self.assigned = None;
    }

    /// `else` or `catch`: the code before it reaches the block's end; the
    /// code after it starts with the block's entry set.
    fn restart(&mut self) {
        let assigned = self.assigned.take();
        let Some(block) = self.blocks.last_mut() else {
            self.gave_up = true;
            return;
        };
        block.exit = Bits::meet(block.exit.take(), assigned.as_ref());
        self.assigned = block.entry.clone();
        block.kind = BlockKind::Block;
    }

    fn end(&mut self) {
        let Some(block) = self.blocks.pop() else {
            self.gave_up = true;
            return;
        };
        self.assigned = match block.kind {
            BlockKind::Loop => self.assigned.take(),
            BlockKind::Block => Bits::meet(block.exit, self.assigned.as_ref()),
            BlockKind::If => Bits::meet(
                Bits::meet(block.exit, self.assigned.as_ref()),
                block.entry.as_ref(),
            ),
        };
    }

    fn give_up(&mut self) {
        self.gave_up = true;
    }
}

/// Hashes constants (integers, or float and vector bits) with one multiply
/// per word: they come from the module, and a collision costs a probe, not
/// correctness; SipHash's resistance is not needed for a map that lives as
/// long as one function's translation and holds at most [`MAX_CONST_SLOTS`].
#[derive(Default)]
pub(crate) struct ConstHasher(u64);

impl std::hash::Hasher for ConstHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The locals of `body` (in a function with one `i32` parameter, local
    /// 0) that may be read before they are assigned, among locals 1..=3.
    fn read_first(body: &str) -> Vec<u32> {
        let scan = scan(
            &format!("(module (tag) (func $f (param i32) (local i32 i32 i32) {body}))"),
            1,
            4,
        );
        (1..4).filter(|&i| scan.reads.may_read_first(i)).collect()
    }

    /// The pass over the first function of module `wat`, with `params`
    /// parameters of `locals` locals.
    fn scan(wat: &str, params: u32, locals: u32) -> PreScan {
        let wasm = wat::parse_str(wat).unwrap();
        let body = wasmparser::Parser::new(0)
            .parse_all(&wasm)
            .find_map(|p| match p.unwrap() {
                wasmparser::Payload::CodeSectionEntry(body) => Some(body),
                _ => None,
            })
            .unwrap();
        PreScan::of(&body.get_operators_reader().unwrap(), params, locals).unwrap()
    }

    /// A local needs its zero exactly when some path may read it before it
    /// is assigned, as the structured control flow shows.
    #[test]
    fn finds_the_locals_read_before_they_are_assigned() {
        let cases: &[(&str, &str, &[u32])] = &[
            ("straight line", "i32.const 1 local.set 1 local.get 1 local.get 2 drop drop", &[2]),
            ("tee assigns", "i32.const 1 local.tee 3 local.get 3 drop drop", &[]),
            (
                "assigned in a block, read after it",
                "(block i32.const 1 local.set 1) local.get 1 drop",
                &[],
            ),
            (
                "a branch out of the block before the assignment",
                "(block local.get 0 br_if 0 i32.const 1 local.set 1) local.get 1 drop",
                &[1],
            ),
            (
                "a branch after it",
                "(block i32.const 1 local.set 1 local.get 0 br_if 0) local.get 1 drop",
                &[],
            ),
            (
                "an if without else",
                "(if (local.get 0) (then i32.const 1 local.set 1)) local.get 1 drop",
                &[1],
            ),
            (
                "both arms of an if",
                "(if (local.get 0) (then i32.const 1 local.set 1) (else i32.const 2 local.set 1)) \
                 local.get 1 drop",
                &[],
            ),
            (
                "read at a loop's start, assigned later in it",
                "(loop local.get 1 drop i32.const 1 local.set 1 local.get 0 br_if 0)",
                &[1],
            ),
            (
                "assigned in a loop, read after it",
                "(loop i32.const 1 local.set 2 local.get 0 br_if 0) local.get 2 drop",
                &[],
            ),
            (
                "a br_table target before the assignment",
                "(block (block local.get 0 br_table 0 1) i32.const 1 local.set 1) local.get 1 drop",
                &[1],
            ),
            (
                "unreachable code reads nothing",
                "(block br 0 local.get 1 drop) i32.const 1 local.set 1 return local.get 2 drop",
                &[],
            ),
            (
                "a try_table's catch label, reached by a throw before the assignment",
                "(block (try_table (catch_all 0) call $f i32.const 1 local.set 1)) local.get 1 drop",
                &[1],
            ),
            (
                "a legacy catch starts with the try's entry set",
                "try i32.const 1 local.set 1 catch_all local.get 1 drop end",
                &[1],
            ),
            (
                "after a legacy try, only what the body and its catches assign",
                "try i32.const 1 local.set 1 i32.const 1 local.set 2 \
                 catch_all i32.const 1 local.set 2 end local.get 1 local.get 2 drop drop",
                &[1],
            ),
        ];
        for (what, body, expected) in cases {
            assert_eq!(read_first(body), *expected, "{what}");
        }
    }

    /// The pass finds every constant once, in order of first use (a v128
    /// taking two slots), and counts the legacy `try`s.
    #[test]
    fn finds_constants_once_and_counts_tries() {
        let scan = scan(
            r#"(module (tag) (func
                i32.const 7 drop i64.const -1 drop f32.const 1.5 drop
                i32.const 7 drop ref.null func drop f64.const 0 drop
                v128.const i64x2 1 2 drop
                try nop catch_all end
                try nop catch 0 end))"#,
            0,
            0,
        );
        assert_eq!(scan.tries, 2);
        assert_eq!(
            scan.init,
            [7, u64::MAX, u64::from(1.5f32.to_bits()), 0, 1, 2]
        );
        assert_eq!(scan.consts[&7], 0);
        assert_eq!(scan.consts[&0], 3);
        assert_eq!(scan.consts128[&(1 | (2 << 64))], 4);
    }
}
