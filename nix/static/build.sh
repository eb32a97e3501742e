# Builder of lib.static.mkPackage: unpack the pinned source, configure, build and install static libraries
# (and tools) into $out with the given toolchain. Every compile writes a dependency file (-MD) so the SBOM
# can tell which headers reached a binary.
set -eu
cores=${NIX_BUILD_CORES:-1}
[ "$cores" -gt 0 ] 2>/dev/null || cores=1
export HOME="$TMPDIR" CC=cc CXX=c++ AR=ar RANLIB=ranlib
export CFLAGS="-O2 -MD $cflags" CXXFLAGS="-O2 -MD $cflags" LDFLAGS="-static" CPPFLAGS=""
PATH="$toolchain/bin:$PATH"
PKG_CONFIG_PATH=""
CMAKE_PREFIX_PATH=""
for dep in $deps; do
  [ -d "$dep/bin" ] && PATH="$dep/bin:$PATH"
  [ -d "$dep/include" ] && CPPFLAGS="$CPPFLAGS -I$dep/include"
  [ -d "$dep/lib" ] && LDFLAGS="$LDFLAGS -L$dep/lib"
  for pc in "$dep/lib/pkgconfig" "$dep/share/pkgconfig"; do
    [ -d "$pc" ] && PKG_CONFIG_PATH="$PKG_CONFIG_PATH${PKG_CONFIG_PATH:+:}$pc"
  done
  CMAKE_PREFIX_PATH="$CMAKE_PREFIX_PATH${CMAKE_PREFIX_PATH:+:}$dep"
  [ -d "$dep/include/boost" ] && export BOOST_ROOT="$dep"
done
export PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH
# Only the libraries a package names itself, and static ones: no pkg-config result may point at the host.
export PKG_CONFIG_LIBDIR="$PKG_CONFIG_PATH"

step() { echo "rootstock: $pname: $*"; }

# With evidence, the package is built inside its evidence output, so every path the compiler's dependency
# files, ninja's log and the link trace name is a store path the SBOM can attribute (zig's cache too).
work="$TMPDIR"
if [ "${keepEvidence:-}" = 1 ]; then
  work="$evidence"
  mkdir -p "$work"
  export ZIG_GLOBAL_CACHE_DIR="$work/zig-global-cache" ZIG_LOCAL_CACHE_DIR="$work/zig-local-cache"
fi

step "unpacking $src"
mkdir "$work/source"
if [ -d "$src" ]; then
  cp -R "$src/." "$work/source"
else
  tar -xf "$src" -C "$work/source"
  entries=$(ls -A "$work/source")
  if [ "$(echo "$entries" | wc -l)" -eq 1 ] && [ -d "$work/source/$entries" ]; then
    mv "$work/source/$entries" "$work/src-root"
    rmdir "$work/source"
    mv "$work/src-root" "$work/source"
  fi
fi
chmod -R u+w "$work/source"
cd "$work/source/$subdir"

# shellcheck disable=SC2086  # flag lists are words on purpose
case "$buildSystem" in
  autogen|configure)
    if [ "$buildSystem" = autogen ]; then
      step "autoreconf"
      if [ -x ./autogen.sh ]; then ./autogen.sh; else autoreconf -fi; fi
    fi
    step "configure $flags"
    ./configure --prefix="$out" $flags
    step "make -j$cores"
    make -j"$cores" $makeFlags
    make install $makeFlags
    ;;
  cmake)
    step "cmake $flags"
    cmake -S . -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$out" \
      -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=OFF $flags
    step "ninja -j$cores"
    ninja -C "$work/build" -j"$cores"
    ninja -C "$work/build" install
    ;;
  meson)
    step "meson setup $flags"
    meson setup "$work/build" --prefix="$out" --libdir=lib --buildtype=release \
      -Ddefault_library=static -Dprefer_static=true -Db_staticpic=false $flags
    step "ninja -j$cores"
    ninja -C "$work/build" -j"$cores"
    ninja -C "$work/build" install
    ;;
  make)
    step "make -j$cores $makeFlags"
    make -j"$cores" PREFIX="$out" $makeFlags
    make install PREFIX="$out" $makeFlags
    ;;
  script)
    step "script $script"
    . "$script"
    ;;
  *)
    echo "build.sh: unknown build system '$buildSystem'" >&2
    exit 1
    ;;
esac

# Static only: shared objects and libtool archives would let a later link pick the wrong thing.
find "$out" \( -name '*.so' -o -name '*.so.*' -o -name '*.la' \) -exec rm -f {} +
if [ "${keepEvidence:-}" = 1 ]; then
  step "recording the final link as evidence"
  cd "$work/build"
  if [ -n "${linkTarget:-}" ]; then
    # Relink the final binary once more, asking the linker which archive members it took.
    link=$(ninja -t commands "$linkTarget" | tail -n 1)
    # CMake wraps its link line as `: && <link> && :`.
    link=${link#": && "}
    link=${link%" && :"}
    if [ -x "$toolchain/bin/ld.lld" ]; then
      # zig's driver refuses --trace and -Map, but prints the ld.lld command it runs; rerun that one.
      eval "$link -v" 2> "$TMPDIR/link-v.txt"
      lld=$(grep "ld.lld" "$TMPDIR/link-v.txt" | grep -F -- " -o $linkTarget" | tail -n 1)
      eval "ld.lld ${lld#*ld.lld} --trace -Map=link.map" > link.trace
    else
      eval "$link -Wl,--trace,--trace -Wl,-Map,link.map" > link.trace
    fi
  fi
fi
step "installed into $out"
