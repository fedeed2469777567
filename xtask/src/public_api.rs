//! `cargo xtask public-api [--bless]`: the public API of every publishable
//! crate, listed in `api/<crate>.txt` and compared with what the code has now,
//! so that an unintended change to it shows in review.
//!
//! The listing comes from rustdoc's JSON output (a nightly toolchain's
//! `rustdoc -Z unstable-options --output-format json`): one line per public
//! item (`kind path`, by the path where it is defined), per public inherent
//! method (`method Type::name`), per trait implemented by a public type
//! (`impl Trait for Type`, with `Send` and `Sync` among them). Signatures are
//! not listed: a renamed, added or removed item is what this catches.
//! `--bless` writes the files anew after an intended change.

use crate::cargo::{jobs_args, workspace_root};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

/// The crates that are published, whose API is listed.
pub const CRATES: &[&str] = &[
    "wazero-api",
    "wazero-decoder",
    "wazero-validator",
    "wazero-store",
    "wazero-interpreter",
    "wazero-compiler",
    "wazero-compiler-amd64",
    "wazero-compiler-arm64",
    "wazero-tiered",
    "wazero-host",
    "wazero-wasi-preview1",
    "wazero",
];

/// Options of `cargo xtask public-api`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write the listings instead of comparing with them.
    #[arg(long)]
    pub bless: bool,
    /// The toolchain whose rustdoc writes JSON (a nightly).
    #[arg(long, default_value = "nightly")]
    pub toolchain: String,
    /// Parallel jobs for cargo.
    #[arg(long, short)]
    pub jobs: Option<u32>,
}

/// The listing file of `krate`.
fn listing_path(krate: &str) -> PathBuf {
    workspace_root().join("api").join(format!("{krate}.txt"))
}

/// The public API of `krate`, one sorted line per item.
fn listing(krate: &str, args: &Args) -> Result<Vec<String>, String> {
    let status = std::process::Command::new("rustup")
        .args([
            "run",
            &args.toolchain,
            "cargo",
            "rustdoc",
            "-q",
            "--lib",
            "-p",
            krate,
        ])
        .args(jobs_args(args.jobs))
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("rustup run {} cargo rustdoc: {e}", args.toolchain))?;
    if !status.success() {
        return Err(format!("rustdoc JSON of {krate} failed"));
    }
    let target = crate::cargo::target_dir();
    let file = target
        .join("doc")
        .join(format!("{}.json", krate.replace('-', "_")));
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(lines_of(&doc))
}

/// The listing of one crate's rustdoc JSON.
fn lines_of(doc: &serde_json::Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let index = doc["index"].as_object().unwrap_or(&empty);
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    let local_path = |id: &serde_json::Value| -> Option<String> {
        let key = match id {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            _ => return None,
        };
        let entry = paths.get(&key)?;
        (entry["crate_id"].as_u64() == Some(0)).then(|| {
            entry["path"]
                .as_array()
                .map(|p| {
                    p.iter()
                        .filter_map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("::")
                })
                .unwrap_or_default()
        })
    };
    let mut lines = BTreeSet::new();
    for entry in paths.values() {
        if entry["crate_id"].as_u64() != Some(0) {
            continue;
        }
        let path: Vec<&str> = entry["path"]
            .as_array()
            .map(|p| p.iter().filter_map(|s| s.as_str()).collect())
            .unwrap_or_default();
        let kind = entry["kind"].as_str().unwrap_or("item");
        lines.insert(format!("{kind} {}", path.join("::")));
    }
    for item in index.values() {
        let Some(imp) = item["inner"].get("impl") else {
            continue;
        };
        if imp["is_negative"].as_bool() == Some(true) || !imp["blanket_impl"].is_null() {
            continue;
        }
        let Some(ty) = imp["for"]
            .get("resolved_path")
            .and_then(|r| local_path(&r["id"]))
        else {
            continue;
        };
        match imp["trait"].get("path").and_then(|p| p.as_str()) {
            Some(name) => {
                let synthetic = imp["is_synthetic"].as_bool() == Some(true);
                if !synthetic || name == "Send" || name == "Sync" {
                    lines.insert(format!("impl {name} for {ty}"));
                }
            }
            None => {
                for id in imp["items"].as_array().into_iter().flatten() {
                    let key = match id {
                        serde_json::Value::Number(n) => n.to_string(),
                        serde_json::Value::String(s) => s.clone(),
                        _ => continue,
                    };
                    let Some(method) = index.get(&key) else {
                        continue;
                    };
                    if method["visibility"].as_str() == Some("public") {
                        if let Some(name) = method["name"].as_str() {
                            lines.insert(format!("method {ty}::{name}"));
                        }
                    }
                }
            }
        }
    }
    lines.into_iter().collect()
}

/// Lists (or, with `--bless`, writes) every crate's public API.
pub fn main(args: &Args) -> ExitCode {
    let mut changed = Vec::new();
    for krate in CRATES {
        let now = match listing(krate, args) {
            Ok(lines) => lines,
            Err(e) => {
                eprintln!("public-api: {e}");
                return ExitCode::FAILURE;
            }
        };
        let path = listing_path(krate);
        let text = now.join("\n") + "\n";
        if args.bless {
            let written = std::fs::create_dir_all(path.parent().unwrap_or(&path))
                .and_then(|()| std::fs::write(&path, &text));
            if let Err(e) = written {
                eprintln!("public-api: {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            println!("public-api: {krate}: {} items written", now.len());
            continue;
        }
        let before = std::fs::read_to_string(&path).unwrap_or_default();
        let before: BTreeSet<&str> = before.lines().collect();
        let after: BTreeSet<&str> = now.iter().map(String::as_str).collect();
        let added: Vec<&&str> = after.difference(&before).collect();
        let removed: Vec<&&str> = before.difference(&after).collect();
        if added.is_empty() && removed.is_empty() {
            println!("public-api: {krate}: {} items, unchanged", now.len());
            continue;
        }
        for line in &removed {
            println!("public-api: {krate}: - {line}");
        }
        for line in &added {
            println!("public-api: {krate}: + {line}");
        }
        changed.push(*krate);
    }
    if changed.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!(
            "public-api: the public API of {} changed; if that is intended, run \
             `cargo xtask public-api --bless` and commit api/",
            changed.join(", ")
        );
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::lines_of;

    #[test]
    fn items_methods_and_impls_are_listed_foreign_and_private_ones_not() {
        let doc = serde_json::json!({
            "paths": {
                "1": {"crate_id": 0, "path": ["k", "Thing"], "kind": "struct"},
                "2": {"crate_id": 0, "path": ["k", "make"], "kind": "function"},
                "9": {"crate_id": 3, "path": ["std", "Vec"], "kind": "struct"}
            },
            "index": {
                "10": {"name": null, "visibility": "default", "inner": {"impl": {
                    "is_negative": false, "blanket_impl": null, "is_synthetic": false,
                    "trait": null, "for": {"resolved_path": {"id": 1}}, "items": [11, 12]}}},
                "11": {"name": "open", "visibility": "public", "inner": {"function": {}}},
                "12": {"name": "secret", "visibility": "crate", "inner": {"function": {}}},
                "13": {"name": null, "visibility": "default", "inner": {"impl": {
                    "is_negative": false, "blanket_impl": null, "is_synthetic": true,
                    "trait": {"path": "Send"}, "for": {"resolved_path": {"id": 1}}, "items": []}}},
                "14": {"name": null, "visibility": "default", "inner": {"impl": {
                    "is_negative": false, "blanket_impl": null, "is_synthetic": true,
                    "trait": {"path": "Unpin"}, "for": {"resolved_path": {"id": 1}}, "items": []}}},
                "15": {"name": null, "visibility": "default", "inner": {"impl": {
                    "is_negative": false, "blanket_impl": null, "is_synthetic": false,
                    "trait": {"path": "Clone"}, "for": {"resolved_path": {"id": 9}}, "items": []}}}
            }
        });
        assert_eq!(
            lines_of(&doc),
            vec![
                "function k::make",
                "impl Send for k::Thing",
                "method k::Thing::open",
                "struct k::Thing",
            ]
        );
    }
}
