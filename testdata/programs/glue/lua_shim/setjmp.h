/* No setjmp on wasm32-wasi without exception handling: see wasi_prelude.h. */
