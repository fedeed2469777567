//! Which of a module's functions to compile first: those the first tier was
//! found running when sampled, and the functions they call.

use std::collections::VecDeque;

use wazero_validator::ValidatedModule;

/// The functions a hot function calls directly are compiled with it, up to
/// this many times the sampled functions' body bytes in all (a function
/// compiled without its callees calls each of them through the store,
/// which runs it in the first tier: slower than before).
const CALLEE_BUDGET: usize = 2;

/// How far down the calls from a sampled function its callees are taken:
/// its callees, and theirs. (On YoWASP Yosys, one level left more calls
/// between the tiers, and more batches, for the same time; three took
/// more code for no gain: docs/benchmarks.md.)
const CALLEE_DEPTH: usize = 2;

/// ... and at least this many bytes of callees (small hot functions call
/// larger ones).
const MIN_CALLEE_BYTES: usize = 16 << 10;

/// A module whose hot part is at least this fraction of its body bytes is
/// compiled whole at once: compiling the hot part first would save little
/// and cost its compilation twice.
const MOST_OF_IT: f64 = 0.3;

/// What to compile next, after a round of sampling (see [`select`]).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Selection {
    /// Nothing new was sampled.
    Nothing,
    /// These functions, by defined index: those of the batches before and
    /// the new ones.
    Batch(Box<[bool]>),
    /// The hot part is most of the module: compile the whole of it.
    Whole,
}

/// The defined functions to compile next, given how often each was sampled
/// (`(defined index, samples)`) and the functions compiled before
/// (`before`, by defined index, if any): those, the functions sampled that
/// are not among them, and the defined functions these call directly,
/// within the budget.
pub(crate) fn select(
    module: &ValidatedModule,
    samples: &[(u32, u32)],
    before: Option<&[bool]>,
) -> Selection {
    let count = module.code.len();
    let size = |i: usize| module.code[i].range.len();
    let mut hot = match before {
        Some(b) if b.len() == count => b.to_vec(),
        _ => vec![false; count],
    };
    let mut queue = VecDeque::new();
    let mut sampled_bytes = 0;
    for &(i, n) in samples {
        let i = i as usize;
        if n > 0 && i < count && !hot[i] {
            hot[i] = true;
            sampled_bytes += size(i);
            queue.push_back((i, 0));
        }
    }
    if queue.is_empty() {
        return Selection::Nothing;
    }
    let budget = (sampled_bytes * CALLEE_BUDGET).max(MIN_CALLEE_BYTES);
    let mut callee_bytes = 0;
    let imported = module.imported_function_count() as usize;
    'search: while let Some((caller, depth)) = queue.pop_front() {
        if depth == CALLEE_DEPTH {
            continue;
        }
        for callee in direct_callees(module, caller) {
            let Some(defined) = callee.checked_sub(imported).filter(|&d| d < count) else {
                continue;
            };
            if hot[defined] {
                continue;
            }
            if callee_bytes + size(defined) > budget {
                break 'search;
            }
            callee_bytes += size(defined);
            hot[defined] = true;
            queue.push_back((defined, depth + 1));
        }
    }
    let total: usize = (0..count).map(size).sum();
    let chosen: usize = (0..count).filter(|&i| hot[i]).map(size).sum();
    if chosen as f64 >= MOST_OF_IT * total as f64 || !hot.contains(&false) {
        return Selection::Whole;
    }
    Selection::Batch(hot.into_boxed_slice())
}

/// The functions (by function index) that defined function `index` calls
/// with `call` or `return_call`, in the order of the calls, each once.
fn direct_callees(module: &ValidatedModule, index: usize) -> Vec<usize> {
    let range = module.code[index].range.clone();
    let Some(bytes) = module.bytes.get(range.clone()) else {
        return Vec::new();
    };
    let reader = wasmparser::BinaryReader::new(bytes, range.start as u64);
    let Ok(mut ops) = wasmparser::FunctionBody::new(reader).get_operators_reader() else {
        return Vec::new();
    };
    let mut callees = Vec::new();
    while !ops.eof() {
        // The module was validated; a read error only ends the search.
        let Ok(op) = ops.read() else {
            break;
        };
        if let wasmparser::Operator::Call { function_index }
        | wasmparser::Operator::ReturnCall { function_index } = op
        {
            let f = function_index as usize;
            if !callees.contains(&f) {
                callees.push(f);
            }
        }
    }
    callees
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(wat: &str) -> ValidatedModule {
        let bytes = wat::parse_str(wat).unwrap();
        let decoded = wazero_decoder::decode(&bytes, Default::default()).unwrap();
        wazero_validator::validate(decoded, Default::default()).unwrap()
    }

    /// Function 0 calls 1, which calls 2, which calls 3; function 4 is
    /// called by no one, and is large, so that the others are less than
    /// a third of the module.
    const CHAIN: &str = r#"(module
        (import "m" "f" (func $imp))
        (func $a (call $b) (call $imp))
        (func $b (call $c))
        (func $c (call $d))
        (func $d)
        (func $big (local i32)
          local.get 0 local.get 0 i32.add local.get 0 i32.add local.get 0 i32.add
          local.get 0 i32.add local.get 0 i32.add local.get 0 i32.add
          local.get 0 i32.add local.get 0 i32.add local.get 0 i32.add
          local.get 0 i32.add local.get 0 i32.add local.get 0 i32.add
          local.get 0 i32.add local.get 0 i32.add local.get 0 i32.add drop))"#;

    #[test]
    fn selection_is_the_sampled_functions_and_their_callees() {
        use Selection::*;
        let m = module(CHAIN);
        let batch = |b: &[bool]| Batch(b.into());
        // (samples, the functions compiled before, what is selected)
        type Case<'a> = (&'a [(u32, u32)], Option<&'a [bool]>, Selection);
        let cases: &[Case] = &[
            // Nothing sampled: nothing to compile.
            (&[], None, Nothing),
            // $a's callees and theirs come with it (not $d, a level
            // further); the import does not.
            (&[(0, 3)], None, batch(&[true, true, true, false, false])),
            (&[(1, 1)], None, batch(&[false, true, true, true, false])),
            (&[(3, 5)], None, batch(&[false, false, false, true, false])),
            // Batches grow: the functions before stay in.
            (
                &[(3, 5)],
                Some(&[true, false, false, false, false]),
                batch(&[true, false, false, true, false]),
            ),
            // Sampled before: nothing new.
            (&[(0, 9)], Some(&[true, true, true, false, false]), Nothing),
            // The large function is most of the module.
            (&[(4, 1)], None, Whole),
            // Out of range: ignored.
            (&[(9, 1)], None, Nothing),
        ];
        for (samples, before, want) in cases {
            assert_eq!(
                &select(&m, samples, *before),
                want,
                "samples {samples:?}, before {before:?}"
            );
        }
    }

    #[test]
    fn direct_callees_are_listed_once_in_call_order() {
        let m = module(
            r#"(module
              (func $a (call $c) (call $b) (call $c) (return_call $b))
              (func $b) (func $c))"#,
        );
        assert_eq!(direct_callees(&m, 0), vec![2, 1]);
        assert_eq!(direct_callees(&m, 1), Vec::<usize>::new());
    }
}
