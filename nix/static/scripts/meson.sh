# meson is pure Python: install the pinned tree and a bin/meson that runs it with the host's python3.
mkdir -p "$out/bin" "$out/lib"
cp -R . "$out/lib/meson"
printf '#!/bin/sh\nexec python3 %s/lib/meson/meson.py "$@"\n' "$out" > "$out/bin/meson"
chmod 555 "$out/bin/meson"
