# The sandbox shell Nix embeds: busybox's default configuration, static, without the applets that need
unset CFLAGS CXXFLAGS LDFLAGS CPPFLAGS
# headers or libraries musl does not provide.
# trylink's last, verbose link asks for a map and --warn-common, which zig's driver refuses; the link
# itself needs neither.
sed -i 's/echo "-Wl,--warn-common -Wl,-Map,$EXE.map -Wl,--verbose"/echo ""/' scripts/trylink
make HOSTCC=/usr/bin/gcc CC="$CC" defconfig
sed -i -e 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/' \
  -e 's/^CONFIG_TC=y/# CONFIG_TC is not set/' \
  -e 's/^CONFIG_FEATURE_TC_INGRESS=y/# CONFIG_FEATURE_TC_INGRESS is not set/' \
  -e 's/^CONFIG_SELINUX=y/# CONFIG_SELINUX is not set/' .config
make HOSTCC=/usr/bin/gcc CC="$CC" AR="$AR" RANLIB="$RANLIB" oldconfig < /dev/null > /dev/null
make -j"$cores" HOSTCC=/usr/bin/gcc CC="$CC" AR="$AR" RANLIB="$RANLIB" busybox
mkdir -p "$out/bin"
cp busybox "$out/bin/busybox"
