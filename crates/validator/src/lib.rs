//! Validates a decoded WebAssembly module for wazero for Rust.
//!
//! The second stage of `compile_module`, between `wazero-decoder` and an engine:
//! [`validate`] checks every module-level rule (index spaces, limits, constant
//! expressions, exports, start function, segments) and every function body
//! (operand types, control structure, alignment, features) using `wasmparser`'s
//! validator, and returns a [`ValidatedModule`]. Engines only ever translate
//! validated modules, so they need no checks of their own at run time.
//!
//! ```
//! use wazero_api::CoreFeatures;
//! let wasm = wat::parse_str("(module (func (result i32) i64.const 1))").unwrap();
//! let module = wazero_decoder::decode(&wasm, CoreFeatures::default()).unwrap();
//! let err = wazero_validator::validate(module, CoreFeatures::default()).unwrap_err();
//! assert_eq!(err.function, Some(0));
//! assert!(err.to_string().contains("type mismatch"), "{err}");
//! ```

use std::ops::Deref;

use wazero_api::CoreFeatures;
use wazero_decoder::{wasm_features, Module};

/// A module that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid module: {}{message} (at offset {offset:#x})", function_label(*function))]
pub struct ValidationError {
    /// What rule is broken, in wasmparser's words (which follow the spec's).
    pub message: String,
    /// Byte offset in the binary of the offending item.
    pub offset: usize,
    /// Index (imports first) of the function whose body is invalid, if it is a body.
    pub function: Option<u32>,
}

fn function_label(function: Option<u32>) -> String {
    match function {
        Some(f) => format!("function[{f}]: "),
        None => String::new(),
    }
}

/// A module that passed validation; engines accept only these.
#[derive(Debug, Clone)]
pub struct ValidatedModule {
    module: Module,
    features: CoreFeatures,
}

impl ValidatedModule {
    /// The features it was validated with.
    pub fn features(&self) -> CoreFeatures {
        self.features
    }

    /// The validated module.
    pub fn module(&self) -> &Module {
        &self.module
    }
}

impl Deref for ValidatedModule {
    type Target = Module;
    fn deref(&self) -> &Module {
        &self.module
    }
}

/// Validates `module` against the rules of WebAssembly with `features` enabled.
pub fn validate(
    module: Module,
    features: CoreFeatures,
) -> Result<ValidatedModule, ValidationError> {
    let mut validator = wasmparser::Validator::new_with_features(wasm_features(features));
    if let Err(e) = validator.validate_all(&module.bytes) {
        let offset = usize::try_from(e.offset()).unwrap_or(usize::MAX);
        let imported = module.imported_function_count();
        let function = module
            .code
            .iter()
            .position(|body| body.range.contains(&offset))
            .map(|i| imported + i as u32);
        return Err(ValidationError {
            message: e.message().to_string(),
            offset,
            function,
        });
    }
    Ok(ValidatedModule { module, features })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(wat: &str, features: CoreFeatures) -> Result<ValidatedModule, ValidationError> {
        let wasm = wat::parse_str(wat).unwrap();
        validate(wazero_decoder::decode(&wasm, features).unwrap(), features)
    }

    #[test]
    fn table_of_rules() {
        struct Case {
            name: &'static str,
            wat: &'static str,
            features: CoreFeatures,
            error: Option<(&'static str, Option<u32>)>,
        }
        let v2 = CoreFeatures::V2;
        let cases = [
            Case {
                name: "valid",
                wat: "(module (func (result i32) i32.const 1))",
                features: v2,
                error: None,
            },
            Case {
                name: "body type mismatch names the function",
                wat: r#"(module (import "a" "b" (func)) (func) (func (result i32) f32.const 0))"#,
                features: v2,
                error: Some(("type mismatch", Some(2))),
            },
            Case {
                name: "unknown global is module-level",
                wat: "(module (export \"g\" (global 3)))",
                features: v2,
                error: Some(("unknown global", None)),
            },
            Case {
                name: "simd off",
                wat: "(module (func v128.const i64x2 0 0 drop))",
                features: CoreFeatures::V1,
                error: Some(("SIMD support is not enabled", Some(0))),
            },
            Case {
                name: "multi-value off",
                wat: "(module (func (result i32 i32) i32.const 0 i32.const 1))",
                features: CoreFeatures::V1,
                error: Some(("multiple", None)),
            },
        ];
        for case in cases {
            match (check(case.wat, case.features), case.error) {
                (Ok(_), None) => {}
                (Err(e), Some((text, function))) => {
                    assert!(e.message.contains(text), "{}: {e}", case.name);
                    assert_eq!(e.function, function, "{}: {e}", case.name);
                }
                (got, want) => panic!("{}: got {:?}, want {want:?}", case.name, got.map(|_| ())),
            }
        }
    }
}
