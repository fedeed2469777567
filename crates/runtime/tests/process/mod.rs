//! What the process holds, for the tests that bound it: each such test file
//! holds one test, so that no other test's allocations run beside it.

/// (virtual size, resident size) of this process in bytes, from
/// `/proc/self/statm`.
#[allow(dead_code)] // not every test file needs both
pub fn statm() -> (u64, u64) {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let mut fields = statm.split_whitespace().map(|f| f.parse::<u64>().unwrap());
    let page = 4096;
    (fields.next().unwrap() * page, fields.next().unwrap() * page)
}

/// The process's resident memory in bytes.
#[allow(dead_code)] // not every test file needs it
pub fn resident() -> u64 {
    statm().1
}
