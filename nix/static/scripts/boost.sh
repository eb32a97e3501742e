# Boost's own b2, bootstrapped with the host compiler (it only runs here), then the three compiled
# libraries Nix links (context, coroutine, container) and all headers, with the toolchain's c++.
# Debian's orig tarball drops b2's generated parser; generate it from its grammar as Debian's rules do.
bison -y -d -o tools/build/src/engine/jamgram.cpp tools/build/src/engine/jamgram.y
./bootstrap.sh --with-toolset=gcc --with-libraries=context,coroutine,container
# b2's gcc toolset: its clang toolset adds a --target that zig does not parse.
echo "using gcc : rootstock : $toolchain/bin/c++ : <archiver>$toolchain/bin/ar <ranlib>$toolchain/bin/ranlib ;" \
  > "$TMPDIR/user-config.jam"
./b2 -j"$cores" --user-config="$TMPDIR/user-config.jam" --prefix="$out" --layout=system \
  toolset=gcc-rootstock variant=release link=static runtime-link=static threading=multi \
  cxxflags="$CXXFLAGS" cflags="$CFLAGS" install
