# libarchive with CMake, as build.sh would build it, then its .pc names zlib, bzip2 and liblzma as packages:
# the bare `-lz -lbz2 -llzma` it writes are resolved by Meson through the compiler's search directories,
# which for zig are the host's, so Nix would link the host's glibc archives.
# shellcheck disable=SC2086  # flag lists are words on purpose
cmake -S . -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$out" \
  -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=OFF $flags
ninja -C "$work/build" -j"$cores"
ninja -C "$work/build" install
sed -i -e 's/^Libs.private:.*/Libs.private:/' -e 's/^Requires.private:.*/Requires.private: zlib bzip2 liblzma/' \
  "$out/lib/pkgconfig/libarchive.pc"
