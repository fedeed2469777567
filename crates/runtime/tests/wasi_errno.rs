//! Each WASI function given bad arguments answers with the right errno and
//! never panics or traps: bad descriptors, pointers outside memory, unknown
//! flags and clock ids, paths that leave the sandbox, writes to read-only mounts.

use wazero::api::ValueType;
use wazero::{wasi_snapshot_preview1 as wasi, FsConfig, MemFs, Module, ModuleConfig, Runtime};

/// A guest that imports `name` with its WASI signature and re-exports it as
/// `call`, with a page of memory holding the strings of the table below.
fn guest(runtime: &Runtime, name: &str, config: ModuleConfig) -> Module {
    let wasi_module = wasi::compile(runtime).unwrap();
    let def = wasi_module
        .exported_functions()
        .into_iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("{name} is not exported"));
    let ty = |t: &ValueType| match t {
        ValueType::I32 => "i32",
        ValueType::I64 => "i64",
        other => panic!("unexpected {other:?}"),
    };
    let params: Vec<&str> = def.param_types.iter().map(ty).collect();
    let gets: String = (0..params.len())
        .map(|i| format!("(local.get {i})"))
        .collect();
    let wat = format!(
        r#"(module
            (import "wasi_snapshot_preview1" "{name}" (func $f (param {p}) (result i32)))
            (memory (export "memory") 1)
            (data (i32.const 100) "missing")
            (data (i32.const 110) "../escape")
            (data (i32.const 120) "/etc/passwd")
            (data (i32.const 140) "\ff\fe")
            (data (i32.const 150) "dir")
            (func (export "call") (param {p}) (result i32) (call $f {gets})))"#,
        p = params.join(" ")
    );
    let wasm = wat::parse_str(&wat).unwrap();
    let compiled = runtime.compile_module(&wasm).unwrap();
    runtime
        .instantiate_module(&compiled, config.with_name(""))
        .unwrap()
}

const EBADF: u64 = 8;
const EFAULT: u64 = 21;
const EILSEQ: u64 = 25;
const EINVAL: u64 = 28;
const ENOENT: u64 = 44;
const ENOSYS: u64 = 52;
const ENOTDIR: u64 = 54;
const ENOTSOCK: u64 = 57;
const EROFS: u64 = 69;
const ESPIPE: u64 = 70;
const ENOTCAPABLE: u64 = 76;
const PAGE: u64 = 65536;

#[test]
fn bad_arguments_give_the_right_errno() {
    // fd 3: a writable in-memory mount; fd 4: a read-only one.
    let cases: &[(&str, &[u64], u64)] = &[
        ("args_sizes_get", &[PAGE - 2, 0], EFAULT),
        ("args_sizes_get", &[0, 4], 0),
        ("environ_get", &[PAGE, PAGE], 0), // nothing to write: no access
        ("clock_time_get", &[99, 0, 0], EINVAL),
        ("clock_time_get", &[0, 0, PAGE - 4], EFAULT),
        ("clock_res_get", &[1, 0], 0),
        ("random_get", &[0, PAGE + 1], EFAULT),
        ("random_get", &[PAGE - 16, 16], 0),
        ("fd_write", &[99, 0, 0, 0], EBADF),
        ("fd_write", &[1, PAGE - 4, 1, 0], EFAULT),
        ("fd_write", &[1, 0, 0, PAGE], EFAULT),
        ("fd_read", &[1, 0, 1, 8], EBADF),
        ("fd_read", &[3, 0, 1, 8], 31), // EISDIR
        ("fd_close", &[99], EBADF),
        ("fd_seek", &[1, 0, 0, 0], ESPIPE),
        ("fd_seek", &[1, 0, 7, 0], EINVAL),
        ("fd_tell", &[0, 0], ESPIPE),
        ("fd_renumber", &[1, 99], EBADF),
        ("fd_prestat_get", &[0, 0], EBADF),
        ("fd_prestat_get", &[3, 0], 0),
        ("fd_prestat_dir_name", &[4, 0, 1], 37), // ENAMETOOLONG
        ("fd_readdir", &[1, 0, 100, 0, 200], ENOTDIR),
        ("fd_readdir", &[3, PAGE - 10, 100, 0, 200], EFAULT),
        ("fd_fdstat_set_flags", &[1, 0x100], EINVAL),
        ("fd_filestat_set_times", &[1, 0, 0, 3], EINVAL),
        ("fd_filestat_set_size", &[3, 0], 31),
        ("fd_allocate", &[1, 0, 0], EINVAL),
        ("fd_advise", &[1, 0, 0, 9], EINVAL),
        ("path_open", &[99, 0, 100, 7, 0, 0, 0, 0, 0], EBADF),
        ("path_open", &[1, 0, 100, 7, 0, 0, 0, 0, 0], ENOTDIR),
        ("path_open", &[3, 0, 100, 7, 0, 0, 0, 0, 0], ENOENT),
        ("path_open", &[3, 0, 110, 9, 0, 0, 0, 0, 0], ENOTCAPABLE),
        ("path_open", &[3, 0, 120, 11, 0, 0, 0, 0, 0], ENOTCAPABLE),
        ("path_open", &[3, 0, 140, 2, 0, 0, 0, 0, 0], EILSEQ),
        ("path_open", &[3, 0, 100, 7, 0xff, 0, 0, 0, 0], EINVAL),
        ("path_open", &[3, 0, PAGE - 2, 7, 0, 0, 0, 0, 0], EFAULT),
        (
            "path_open",
            &[3, 0, 100, 7, 1, u64::MAX, 0, 0, PAGE],
            EFAULT,
        ),
        ("path_open", &[4, 0, 100, 7, 1, u64::MAX, 0, 0, 0], EROFS),
        ("path_create_directory", &[3, 150, 3], 0),
        ("path_create_directory", &[4, 150, 3], EROFS),
        ("path_create_directory", &[3, 110, 9], ENOTCAPABLE),
        ("path_unlink_file", &[3, 100, 7], ENOENT),
        ("path_remove_directory", &[4, 150, 3], EROFS),
        ("path_filestat_get", &[3, 0, 120, 11, 0], ENOTCAPABLE),
        ("path_filestat_get", &[3, 2, 100, 7, 0], EINVAL),
        ("path_readlink", &[3, 100, 7, 0, 10, 20], ENOENT),
        ("path_symlink", &[120, 11, 3, 100, 7], ENOTCAPABLE),
        ("path_rename", &[3, 100, 7, 4, 150, 3], EROFS),
        ("path_link", &[3, 0, 100, 7, 99, 150, 3], EBADF),
        ("poll_oneoff", &[0, 0, 0, 0], EINVAL),
        ("poll_oneoff", &[PAGE - 10, 0, 1, 0], EFAULT),
        ("proc_raise", &[9], ENOSYS),
        ("sched_yield", &[], 0),
        ("sock_accept", &[1, 0, 0], ENOTSOCK),
        ("sock_accept", &[1, 0xff, 0], EINVAL),
        ("sock_recv", &[1, 0, 0, 0, 0, 8], ENOTSOCK),
        ("sock_send", &[1, 0, 0, 0, 0], ENOTSOCK),
        ("sock_shutdown", &[1, 3], ENOTSOCK),
        ("sock_shutdown", &[1, 0], EINVAL),
    ];
    let runtime = Runtime::new();
    wasi::instantiate(&runtime).unwrap();
    let ro = MemFs::new();
    ro.create_dir_all("dir").unwrap();
    for (name, params, want) in cases {
        let fs = FsConfig::new()
            .with_mem_fs(MemFs::new(), "/")
            .with_read_only_mem_fs(ro.clone(), "/ro");
        let module = guest(&runtime, name, ModuleConfig::new().with_fs_config(fs));
        let got = module
            .exported_function("call")
            .unwrap()
            .call(params)
            .unwrap_or_else(|e| {
                panic!("{name}{params:?} failed instead of returning an errno: {e}")
            });
        assert_eq!(got, vec![*want], "{name}{params:?}");
    }
}

#[test]
fn all_46_functions_are_exported_in_specification_order() {
    let runtime = Runtime::new();
    let names: Vec<String> = wasi::compile(&runtime)
        .unwrap()
        .exported_functions()
        .iter()
        .map(|d| d.name.clone())
        .collect();
    assert_eq!(names, wasi::FUNCTION_NAMES);
    assert_eq!(names.len(), 46);
}

#[test]
fn a_guest_without_memory_gets_efault() {
    let runtime = Runtime::new();
    wasi::instantiate(&runtime).unwrap();
    let wasm = wat::parse_str(
        r#"(module
            (import "wasi_snapshot_preview1" "args_sizes_get" (func $f (param i32 i32) (result i32)))
            (func (export "call") (result i32) (call $f (i32.const 0) (i32.const 4))))"#,
    )
    .unwrap();
    let module = runtime.instantiate(&wasm).unwrap();
    assert_eq!(
        module.exported_function("call").unwrap().call(&[]).unwrap(),
        vec![EFAULT]
    );
}

#[test]
fn proc_exit_closes_the_module_with_its_code() {
    let runtime = Runtime::new();
    wasi::instantiate(&runtime).unwrap();
    let wasm = wat::parse_str(
        r#"(module
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (memory 1)
            (func (export "_start") (call $exit (i32.const 42)) unreachable))"#,
    )
    .unwrap();
    let compiled = runtime.compile_module(&wasm).unwrap();
    let err = runtime
        .instantiate_module(&compiled, ModuleConfig::new().with_name("exits"))
        .unwrap_err();
    assert_eq!(err.exit_code(), Some(42));
    assert!(runtime.module("exits").is_none(), "the module is closed");
}

#[test]
fn a_missing_mount_directory_fails_instantiation_clearly() {
    let runtime = Runtime::new();
    wasi::instantiate(&runtime).unwrap();
    let compiled = runtime
        .compile_module(&wat::parse_str("(module)").unwrap())
        .unwrap();
    let err = runtime
        .instantiate_module(
            &compiled,
            ModuleConfig::new()
                .with_fs_config(FsConfig::new().with_dir_mount("/no/such/dir/here", "/data")),
        )
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("/no/such/dir/here") && text.contains("/data"),
        "{text}"
    );
}

/// `poll_oneoff` on a listener: only the clock fires while no client waits; a
/// pending connection makes the listener readable.
#[test]
fn poll_oneoff_sees_a_listener_become_readable() {
    let runtime = Runtime::new();
    wasi::instantiate(&runtime).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Subscriptions at 0: [0] read readiness of fd 3 (userdata 7), [48] a
    // relative clock of 20 ms (userdata 9). Events at 256, their count at 512.
    let wasm = wat::parse_str(
        r#"(module
            (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 1)
            (func (export "poll") (result i32)
                (i64.store (i32.const 0) (i64.const 7))
                (i32.store8 (i32.const 8) (i32.const 1))
                (i32.store (i32.const 16) (i32.const 3))
                (i64.store (i32.const 48) (i64.const 9))
                (i32.store8 (i32.const 56) (i32.const 0))
                (i32.store (i32.const 64) (i32.const 1))
                (i64.store (i32.const 72) (i64.const 20000000))
                (call $poll (i32.const 0) (i32.const 256) (i32.const 2) (i32.const 512)))
            (func (export "nevents") (result i32) (i32.load (i32.const 512)))
            (func (export "userdata") (result i64) (i64.load (i32.const 256)))
            (func (export "type") (result i32) (i32.load8_u (i32.const 266))))"#,
    )
    .unwrap();
    let compiled = runtime.compile_module(&wasm).unwrap();
    let module = runtime
        .instantiate_module(&compiled, ModuleConfig::new().with_listener(listener))
        .unwrap();
    let call = |name: &str| module.exported_function(name).unwrap().call(&[]).unwrap()[0];
    assert_eq!(call("poll"), 0);
    assert_eq!(
        (call("nevents"), call("userdata"), call("type")),
        (1, 9, 0),
        "only the clock"
    );
    let _client = std::net::TcpStream::connect(addr).unwrap();
    assert_eq!(call("poll"), 0);
    assert_eq!(
        (call("nevents"), call("userdata"), call("type")),
        (1, 7, 1),
        "the listener is readable"
    );
}
