# bzip2 1.0.8 has a plain Makefile and no pkg-config file; libarchive finds it by CPPFLAGS/LDFLAGS, Nix
# through libarchive. The .pc is written so that pkg-config --static users can find it too.
make -j"$cores" CC="$CC" AR="$AR" RANLIB="$RANLIB" CFLAGS="$CFLAGS -D_FILE_OFFSET_BITS=64" libbz2.a
mkdir -p "$out/lib/pkgconfig" "$out/include"
cp libbz2.a "$out/lib/"
cp bzlib.h "$out/include/"
cat > "$out/lib/pkgconfig/bzip2.pc" <<PC
prefix=$out
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: bzip2
Description: bzip2 compression library
Version: 1.0.8
Libs: -L\${libdir} -lbz2
Cflags: -I\${includedir}
PC
