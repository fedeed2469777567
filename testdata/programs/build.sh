#!/bin/sh
# Rebuilds the real programs of `cargo xtask bench programs` from their public
# sources at pinned commits, with Debian's clang 14 and wasi-libc
# (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32):
#
#   testdata/programs/build.sh [SOURCES_DIR]
#
# Each source tree is cloned into SOURCES_DIR (default: a temporary
# directory) unless it is there already, checked out at its commit, and built
# with the flags below; glue/ holds the few files of ours (the zlib and cJSON
# drivers, Lua's port to wasm32-wasi without exception handling). The same
# toolchain gives the same bytes: MANIFEST records each program's SHA-256.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$(mktemp -d)}
CC=${WASI_CLANG:-clang}
FLAGS="--target=wasm32-wasi -O2 -g0 -Wl,--strip-debug"

fetch() { # name url commit
    if [ ! -d "$src/$1" ]; then git clone -q "$2" "$src/$1"; fi
    git -C "$src/$1" -c advice.detachedHead=false checkout -q "$3"
}

# A release tarball, checked against its SHA-256 and unpacked.
fetch_tar() { # name url sha256
    if [ ! -d "$src/$1" ]; then
        curl -fsSL "$2" -o "$src/$1.tar.gz"
        echo "$3  $src/$1.tar.gz" | sha256sum -c -
        mkdir "$src/$1"
        tar xzf "$src/$1.tar.gz" -C "$src/$1" --strip-components=1
    fi
}

fetch coremark https://github.com/eembc/coremark d5fad6bd094899101a4e5fd53af7298160ced6ab
fetch lua https://github.com/lua/lua 1ab3208a1fceb12fca8f24ba57d6e13c5bff15e3
fetch zlib https://github.com/madler/zlib 51b7f2abdade71cd9bb0e7a373ef2610ec6f9daf
fetch cjson https://github.com/DaveGamble/cJSON a29814f285cc531c00223743ad3c55cd38c0dc56
fetch polybench https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1 3e872547cef7e5c9909422ef1e6af03cf4e56072
# SQLite 3.44.2's amalgamation (the same file node-sqlite3 5.1.7 ships as
# deps/sqlite-autoconf-3440200.tar.gz: `npm pack sqlite3@5.1.7`).
fetch_tar sqlite https://www.sqlite.org/2023/sqlite-autoconf-3440200.tar.gz \
    1c6719a148bc41cf0f2bbbe3926d7ce3f5ca09d878f1246fcc20767b175bb407

c=$src/coremark
$CC $FLAGS -I"$c/posix" -I"$c" -DFLAGS_STR='"-O2 wasm32-wasi"' -DITERATIONS=0 -DPERFORMANCE_RUN=1 \
    "$c"/core_list_join.c "$c"/core_main.c "$c"/core_matrix.c "$c"/core_state.c "$c"/core_util.c \
    "$c"/posix/core_portme.c -o "$here/coremark.wasm"

l=$src/lua
$CC $FLAGS -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -I"$here/glue/lua_shim" \
    -include "$here/glue/lua_wasi_prelude.h" "$l/onelua.c" "$here/glue/lua_wasi_stubs.c" \
    -lwasi-emulated-signal -lwasi-emulated-process-clocks -lm -o "$here/lua.wasm"

z=$src/zlib
$CC $FLAGS -I"$z" "$z"/adler32.c "$z"/compress.c "$z"/crc32.c "$z"/deflate.c "$z"/inflate.c \
    "$z"/inftrees.c "$z"/inffast.c "$z"/trees.c "$z"/uncompr.c "$z"/zutil.c \
    "$here/glue/zlib_bench.c" -o "$here/zlib.wasm"

j=$src/cjson
$CC $FLAGS -I"$j" "$j/cJSON.c" "$here/glue/cjson_bench.c" -o "$here/cjson.wasm"

p=$src/polybench
objs=$(mktemp -d)
for k in linear-algebra/blas/gemm/gemm.c:gemm stencils/jacobi-2d/jacobi-2d.c:jacobi_2d \
    linear-algebra/solvers/lu/lu.c:lu datamining/correlation/correlation.c:correlation \
    stencils/fdtd-2d/fdtd-2d.c:fdtd_2d medley/nussinov/nussinov.c:nussinov; do
    f=$p/${k%%:*}
    $CC --target=wasm32-wasi -O2 -g0 -I"$p/utilities" -DSMALL_DATASET \
        -include "$here/glue/polybench_dump.h" -I"$(dirname "$f")" -Dmain="${k#*:}_main" \
        -c "$f" -o "$objs/${k#*:}.o"
done
$CC --target=wasm32-wasi -O2 -g0 -I"$p/utilities" -D_WASI_EMULATED_PROCESS_CLOCKS \
    -c "$p/utilities/polybench.c" -o "$objs/polybench.o"
$CC --target=wasm32-wasi -O2 -g0 -c "$here/glue/polybench_run.c" -o "$objs/run.o"
$CC $FLAGS "$objs"/*.o -lm -lwasi-emulated-process-clocks -o "$here/polybench.wasm"
rm -r "$objs"

s=$src/sqlite
$CC $FLAGS -DSQLITE_OS_OTHER=1 -DSQLITE_THREADSAFE=0 -DSQLITE_TEMP_STORE=3 \
    -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL -DSQLITE_OMIT_SHARED_CACHE \
    -DSQLITE_OMIT_DEPRECATED -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_DQS=0 \
    -I"$s" "$s/sqlite3.c" "$here/glue/sqlite_bench.c" -o "$here/sqlite.wasm"

cd "$here"
{
    echo "# SHA-256 of each program as built by build.sh with $($CC --version | head -1)"
    sha256sum coremark.wasm lua.wasm zlib.wasm cjson.wasm polybench.wasm sqlite.wasm
} > MANIFEST
cat MANIFEST
