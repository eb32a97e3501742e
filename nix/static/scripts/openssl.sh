# OpenSSL's own Configure (perl from the host); only libcrypto and libssl, static, no docs or tests.
./Configure linux-x86_64 no-shared no-tests no-dso no-engine no-async \
  --prefix="$out" --libdir=lib --openssldir="$out/etc/ssl"
make -j"$cores" build_libs
make install_dev
