//! Trap codes as compiled code stores them in [`VmCtx::trap`](crate::vmctx::VmCtx::trap).

use wazero_api::TrapCode;

/// Every trap code compiled code can raise, in the order of their numbers
/// (`index + 1`; `0` means "no trap").
const CODES: [TrapCode; 11] = TrapCode::ALL;

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
}
