# Builder of lib.static.toolchain: bin/cc, bin/c++, bin/ar and bin/ranlib for the packages' builds.
set -eu
mkdir -p "$out/bin"
wrap() {
  # $1: tool name, rest: the command it runs; "$@" of the wrapper is appended.
  tool=$1
  shift
  {
    echo '#!/bin/sh'
    # zig keeps what it compiles for itself (musl, libc++, compiler-rt) in a cache; each build has its own.
    echo ': "${ZIG_GLOBAL_CACHE_DIR:=${TMPDIR:-/tmp}/zig-global-cache}" "${ZIG_LOCAL_CACHE_DIR:=${TMPDIR:-/tmp}/zig-local-cache}"'
    echo 'export ZIG_GLOBAL_CACHE_DIR ZIG_LOCAL_CACHE_DIR'
    printf 'exec'
    for word in "$@"; do printf " '%s'" "$word"; done
    echo ' "$@"'
  } > "$out/bin/$tool"
  chmod 555 "$out/bin/$tool"
}
case "$kind" in
  zig)
    mkdir "$out/lib"
    python3 -m zipfile -e "$wheel" "$out/lib"
    chmod 555 "$out/lib/ziglang/zig"
    zig="$out/lib/ziglang/zig"
    wrap cc "$zig" cc -target "$target"
    wrap c++ "$zig" c++ -target "$target"
    wrap ar "$zig" ar
    wrap ranlib "$zig" ranlib
    wrap ld.lld "$zig" ld.lld
    ;;
  host)
    # shellcheck disable=SC2086  # the argv lists are words on purpose
    wrap cc $cc
    # shellcheck disable=SC2086
    wrap c++ $cxx
    wrap ar /usr/bin/ar
    wrap ranlib /usr/bin/ranlib
    ;;
  *)
    echo "toolchain.sh: unknown toolchain kind '$kind'" >&2
    exit 1
    ;;
esac
echo "int main(void) { return 0; }" > probe.c
"$out/bin/cc" -static -o probe probe.c
