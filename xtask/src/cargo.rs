//! Running cargo from the tasks: the workspace root, the cargo that runs us, and
//! the `-j` a task passes on.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The target directory: `CARGO_TARGET_DIR`, else `target` in the workspace.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The cargo that runs us, or the one on `PATH`, in the workspace root.
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

/// The `-j` flag for `jobs`: as asked, else none when `CARGO_BUILD_JOBS` decides,
/// else `-j2` (this project's machines have two cores).
pub fn jobs_args(jobs: Option<u32>) -> Vec<String> {
    match jobs {
        Some(jobs) => vec![format!("-j{}", jobs.max(1))],
        None if std::env::var_os("CARGO_BUILD_JOBS").is_some() => Vec::new(),
        None => vec!["-j2".to_string()],
    }
}

/// `cargo run --release --package <package> -jN --`: the caller adds the
/// program's own arguments.
pub fn run_release(package: &str, jobs: Option<u32>) -> Command {
    let mut command = cargo();
    command
        .args(["run", "--release", "--package", package])
        .args(jobs_args(jobs))
        .arg("--");
    command
}
