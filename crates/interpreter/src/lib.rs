//! placeholder
use std::sync::Arc;
use wazero_store::{CallError, CompiledCode, Engine, FuncAddr, Store};
use wazero_validator::ValidatedModule;
/// x
pub struct Interpreter;
impl Interpreter {
    /// x
    pub fn new() -> Self { Self }
}
impl Engine for Interpreter {
    fn name(&self) -> &'static str { "interpreter" }
    fn compile(&self, _: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledCode>, String> { Err("todo".into()) }
    fn call_wasm(&self, _: &mut Store, _: FuncAddr, _: &mut [u64]) -> Result<(), CallError> { todo!() }
}
