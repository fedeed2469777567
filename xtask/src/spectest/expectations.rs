//! The list of known spec test failures, `xtask/spectest-expectations.txt`.
//!
//! One failure a line: `<engine> <suite>/<file>.wast:<line> <reason>`, e.g.
//! `interpreter v2/i32.wast:102 assert_return: expected (i32:1), got (i32:0)`.
//! Lines starting with `#` and blank lines are ignored. An entry matches a failure
//! by engine and location; the reason is for the reader. The goal is an empty list.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where the list lives.
pub fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spectest-expectations.txt")
}

/// One known failure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expectation {
    /// The engine (`interpreter`, `compiler`).
    pub engine: String,
    /// `<suite>/<file>.wast`.
    pub file: String,
    /// The line of the failing directive (0: the file as a whole).
    pub line: usize,
}

impl Expectation {
    /// The key a failure is known by.
    pub fn new(engine: &str, file: &str, line: usize) -> Self {
        Self {
            engine: engine.to_string(),
            file: file.to_string(),
            line,
        }
    }
}

/// Reads the list; a missing file is an empty list.
pub fn load(path: &Path) -> Result<BTreeSet<Expectation>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses the list's text.
pub fn parse(text: &str) -> Result<BTreeSet<Expectation>, String> {
    let mut set = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || {
            format!(
                "line {}: expected `<engine> <suite>/<file>.wast:<line> <reason>`",
                i + 1
            )
        };
        let mut words = line.split_whitespace();
        let (Some(engine), Some(location)) = (words.next(), words.next()) else {
            return Err(bad());
        };
        let (file, number) = location.rsplit_once(':').ok_or_else(bad)?;
        let number: usize = number.parse().map_err(|_| bad())?;
        if !file.contains('/') {
            return Err(bad());
        }
        set.insert(Expectation::new(engine, file, number));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_and_comments() {
        let set = parse("# known\n\ninterpreter v2/i32.wast:12 assert_return: expected (i32:1)\n")
            .expect("parses");
        assert_eq!(set.len(), 1);
        assert!(set.contains(&Expectation::new("interpreter", "v2/i32.wast", 12)));
        assert!(parse("interpreter v2/i32.wast").is_err());
        assert!(parse("interpreter i32.wast:1 x").is_err());
    }

    #[test]
    fn the_checked_in_list_parses() {
        load(&default_path()).expect("xtask/spectest-expectations.txt parses");
    }
}
