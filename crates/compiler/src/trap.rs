//! Trap codes: as the VM context holds them ([`VmCtx::trap`](crate::vmctx::VmCtx::trap))
//! and as Cranelift records them at the trap sites of compiled code.

use cranelift_codegen::ir;
use wazero_api::TrapCode;

/// Every trap code compiled code can raise, in the order of their numbers
/// (`index + 1`; `0` means "no trap").
pub(crate) const CODES: [TrapCode; TrapCode::ALL.len()] = TrapCode::ALL;

/// The trap slot's value when a runtime call failed with something other than
/// a trap code (a host function's error, an exit, a panic), kept in the context.
pub const PENDING: u32 = 0xffff;

/// The number compiled code stores for `code` (never 0).
pub fn trap_to_u32(code: TrapCode) -> u32 {
    CODES
        .iter()
        .position(|&c| c == code)
        .map_or(1, |i| i as u32 + 1)
}

/// The trap code stored as `value`, or `None` for 0 (no trap).
pub fn trap_from_u32(value: u32) -> Option<TrapCode> {
    let i = value.checked_sub(1)? as usize;
    Some(CODES.get(i).copied().unwrap_or(TrapCode::Unreachable))
}

/// The Cranelift code of a trap site that raises `code`.
pub(crate) fn site_code(code: TrapCode) -> ir::TrapCode {
    // Trap numbers are 1..=CODES.len(), all below Cranelift's reserved codes.
    ir::TrapCode::unwrap_user(trap_to_u32(code) as u8)
}

/// The Cranelift code of the trap site after a runtime call that failed: the
/// context already holds the trap (or [`PENDING`]), which the site leaves as is.
pub(crate) const RAISED: ir::TrapCode = ir::TrapCode::unwrap_user(200);

/// What the VM context's trap slot becomes when a trap site of Cranelift code
/// `site` is hit: a trap number, or 0 to keep what a runtime call stored
/// ([`RAISED`]). Cranelift's own codes map to the wasm traps they stand for.
pub(crate) fn raised_at(site: ir::TrapCode) -> u32 {
    let code = match site {
        RAISED => return 0,
        ir::TrapCode::STACK_OVERFLOW => TrapCode::StackExhausted,
        ir::TrapCode::HEAP_OUT_OF_BOUNDS => TrapCode::MemoryOutOfBounds,
        ir::TrapCode::INTEGER_OVERFLOW => TrapCode::IntegerOverflow,
        ir::TrapCode::INTEGER_DIVISION_BY_ZERO => TrapCode::IntegerDivideByZero,
        ir::TrapCode::BAD_CONVERSION_TO_INTEGER => TrapCode::InvalidConversionToInteger,
        other => {
            let n = u32::from(other.as_raw().get());
            return if trap_from_u32(n).is_some() && (n as usize) <= CODES.len() {
                n
            } else {
                trap_to_u32(TrapCode::Unreachable)
            };
        }
    };
    trap_to_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for &c in &CODES {
            assert_eq!(trap_from_u32(trap_to_u32(c)), Some(c));
        }
        assert_eq!(trap_from_u32(0), None);
    }

    #[test]
    fn trap_sites_raise_their_codes() {
        for &c in &CODES {
            assert_eq!(trap_from_u32(raised_at(site_code(c))), Some(c));
        }
        assert_eq!(raised_at(RAISED), 0);
        let cases = [
            (ir::TrapCode::STACK_OVERFLOW, TrapCode::StackExhausted),
            (
                ir::TrapCode::HEAP_OUT_OF_BOUNDS,
                TrapCode::MemoryOutOfBounds,
            ),
            (
                ir::TrapCode::INTEGER_DIVISION_BY_ZERO,
                TrapCode::IntegerDivideByZero,
            ),
        ];
        for (site, code) in cases {
            assert_eq!(trap_from_u32(raised_at(site)), Some(code));
        }
    }
}
