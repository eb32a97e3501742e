# lowdown's own configure (oconfigure takes VAR=value words) and its static library. Its public header uses
# the <sys/queue.h> macros, which musl does not ship; when the system lacks them, configure writes OpenBSD's
# queue.h into config.h, and that part is installed as include/sys/queue.h for the programs that include
# lowdown.h (Nix's markdown support).
CFLAGS="$CFLAGS $CPPFLAGS" ./configure PREFIX="$out" MANDIR="$out/share/man"
make -j"$cores" liblowdown.a lowdown.pc
make install_static
if ! grep -q '^#define HAVE_SYS_QUEUE 1' config.h; then
  mkdir -p "$out/include/sys"
  {
    echo '#pragma once'
    echo '/*'
    # From the compat block's first line to the end of its last macro, TAILQ_CONCAT.
    awk '/A compatible version of OpenBSD <sys\/queue.h>/ { on = 1 }
         on { print }
         /define TAILQ_CONCAT/ { last = 1 }
         last && /^} while \(0\)$/ { exit }' config.h
  } > "$out/include/sys/queue.h"
  grep -q 'define TAILQ_CONCAT' "$out/include/sys/queue.h"
fi
