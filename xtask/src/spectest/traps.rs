//! Loose matching of a trap against the message an `assert_trap` expects.
//!
//! The runtime's trap messages are the spec's own (`integer divide by zero`, ...),
//! so a trap matches when its text contains the expected message. On top of that
//! the spec's synonyms are accepted, as other runtimes' spec runners do: the test
//! suite words the same failure of `call_indirect` and table accesses differently
//! across versions (`undefined element`, `uninitialized element`,
//! `uninitialized element 2`, `out of bounds table access`).

/// Groups of messages that name the same failure.
const SYNONYMS: &[&[&str]] = &[
    &[
        "undefined element",
        "uninitialized element",
        "out of bounds table access",
    ],
    &["call stack exhausted", "stack overflow"],
    &[
        "indirect call type mismatch",
        "indirect call signature mismatch",
    ],
];

/// Whether a trap with text `actual` (its code's message, or the error's whole
/// text) satisfies the expected spec message `expected`.
pub fn message_matches(expected: &str, actual: &str) -> bool {
    let expected = expected.trim();
    if actual.contains(expected) {
        return true;
    }
    // `uninitialized element 2`: the element index is not part of our message.
    let stem = expected.trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ');
    if !stem.is_empty() && actual.contains(stem) {
        return true;
    }
    SYNONYMS.iter().any(|group| {
        group.iter().any(|m| stem.starts_with(m)) && group.iter().any(|m| actual.contains(m))
    })
}

#[cfg(test)]
mod tests {
    use super::message_matches;

    #[test]
    fn exact_and_synonyms() {
        assert!(message_matches(
            "integer divide by zero",
            "wasm trap: integer divide by zero"
        ));
        assert!(message_matches(
            "uninitialized element 2",
            "uninitialized element"
        ));
        assert!(message_matches(
            "undefined element",
            "out of bounds table access"
        ));
        assert!(message_matches(
            "uninitialized element",
            "undefined element"
        ));
        assert!(!message_matches(
            "integer overflow",
            "integer divide by zero"
        ));
        assert!(!message_matches(
            "out of bounds memory access",
            "out of bounds table access"
        ));
        assert!(!message_matches("unreachable", "integer overflow"));
    }
}
