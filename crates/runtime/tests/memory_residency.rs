//! Growing a memory page by page keeps it where it is on every engine: the
//! pages the guest never touched stay untouched, so the process does not
//! become as large as the memory. (Resident memory is read from
//! `/proc/self/statm`, so this file holds one test.)

mod engines;

use wazero::Runtime;

mod process;
use process::resident;

#[test]
fn growing_page_by_page_touches_nothing() {
    const PAGES: u32 = 8192; // 512 MiB
    let guest = wat::parse_str(
        r#"(module (memory (export "memory") 1)
            (func (export "grow") (param i32) (result i32)
                (local i32)
                (loop
                    (drop (memory.grow (i32.const 1)))
                    (local.set 1 (i32.add (local.get 1) (i32.const 1)))
                    (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
                (memory.size))
            (func (export "poke") (param i32) (i32.store8 (local.get 0) (i32.const 9))))"#,
    )
    .unwrap();
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let module = runtime.instantiate(&guest).unwrap();
        let before = resident();
        let size = module
            .exported_function("grow")
            .unwrap()
            .call(&[u64::from(PAGES)])
            .unwrap();
        assert_eq!(size, vec![u64::from(PAGES) + 1], "{engine}");
        let last = PAGES * 65536 + 65535;
        module
            .exported_function("poke")
            .unwrap()
            .call(&[u64::from(last)])
            .unwrap();
        let memory = module.memory().unwrap();
        assert_eq!(memory.read(last, 1).unwrap(), vec![9], "{engine}");
        assert_eq!(
            memory.read(last - 70000, 4).unwrap(),
            vec![0; 4],
            "{engine}"
        );
        let grown = resident().saturating_sub(before);
        assert!(
            grown < 64 << 20,
            "{engine}: growing to 512 MiB made {} MiB resident",
            grown >> 20
        );
        module.close().unwrap();
    }
}
