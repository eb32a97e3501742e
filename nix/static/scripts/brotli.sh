# brotli 1.0.9 builds its static libraries as lib*-static.a and writes .pc files naming the shared ones;
# install the static archives under the names the .pc files use.
cmake -S . -B "$TMPDIR/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$out" \
  -DCMAKE_INSTALL_LIBDIR=lib -DBROTLI_DISABLE_TESTS=ON
ninja -C "$TMPDIR/build" -j"$cores"
ninja -C "$TMPDIR/build" install
for lib in common dec enc; do
  cp "$TMPDIR/build/libbrotli$lib-static.a" "$out/lib/libbrotli$lib.a"
done
find "$out/lib" -name 'libbrotli*-static.a' -delete
