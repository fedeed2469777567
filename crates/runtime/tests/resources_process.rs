//! Instantiating in a loop runs in constant memory and address space: checks
//! on the whole process (resident and virtual size from `/proc/self/statm`,
//! address-space reservations of the compiler's memories), so they run one
//! after another in the single test of this binary.

#![cfg(target_os = "linux")]

mod engines;

use wazero::{ModuleConfig, Runtime};

mod process;
use process::statm;

const MB: u64 = 1 << 20;

/// Runs `cycle` `n` times after a warm-up and returns how much the process
/// grew (virtual, resident).
fn growth(n: usize, mut cycle: impl FnMut()) -> (u64, u64) {
    for _ in 0..200 {
        cycle();
    }
    let before = statm();
    for _ in 0..n {
        cycle();
    }
    let after = statm();
    (
        after.0.saturating_sub(before.0),
        after.1.saturating_sub(before.1),
    )
}

#[test]
fn instantiation_loops_run_in_constant_memory() {
    let ten = {
        let mut wat = String::from("(module (memory 1)");
        for i in 0..10 {
            wat.push_str(&format!(
                "(func (export \"f{i}\") (param i32) (result i32) (i32.add (local.get 0) (i32.const {i})))"
            ));
        }
        wat.push(')');
        wat::parse_str(&wat).unwrap()
    };
    let trapping = wat::parse_str(
        r#"(module (memory 1)
             (func $start
               (drop (memory.grow (i32.const 99)))
               (i32.store (i32.const 6000000) (i32.const 1))
               unreachable)
             (start $start))"#,
    )
    .unwrap();
    for (name, config) in engines::base() {
        let runtime = Runtime::with_config(config);
        let ten = runtime.compile_module(&ten).unwrap();
        let trapping = runtime.compile_module(&trapping).unwrap();
        let reserved = wazero::reserved_memories();

        // Item 3: failed instantiations keep nothing.
        let (virt, rss) = growth(300, || {
            assert!(runtime
                .instantiate_module(&trapping, ModuleConfig::new())
                .is_err());
        });
        eprintln!("{name}: 300 failed instantiations: +{virt} B virtual, +{rss} B resident");
        assert!(virt < 100 * MB, "{name}: +{virt} B virtual");
        assert_eq!(wazero::reserved_memories(), reserved, "{name}");

        // Item 4: dropping the handle frees the instance and its reservation.
        let (virt, rss) = growth(20_000, || {
            let m = runtime
                .instantiate_module(&ten, ModuleConfig::new())
                .unwrap();
            assert!(wazero::reserved_memories() <= reserved + 1);
            drop(m);
        });
        eprintln!("{name}: 20000 instantiate-and-drop: +{virt} B virtual, +{rss} B resident");
        assert!(rss < 20 * MB, "{name}: +{rss} B resident");
        assert_eq!(wazero::reserved_memories(), reserved, "{name}");

        // Item 5: instantiate and close in constant memory.
        let (virt, rss) = growth(20_000, || {
            let m = runtime
                .instantiate_module(&ten, ModuleConfig::new())
                .unwrap();
            let f = m.exported_function("f7").unwrap();
            assert_eq!(f.call(&[1]).unwrap(), vec![8]);
            m.close().unwrap();
        });
        eprintln!("{name}: 20000 instantiate-call-close: +{virt} B virtual, +{rss} B resident");
        assert!(rss < 20 * MB, "{name}: +{rss} B resident");
        assert_eq!(runtime.default_namespace().stats().instances, 0, "{name}");
    }
}
