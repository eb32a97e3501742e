"""Static-binary checks on binaries gcc builds here: static passes, dynamic and static-pie are refused; the smoke
derivation a built nix must build is for the recipe's system."""

from __future__ import annotations

from pathlib import Path

import pytest

from common_support import REPO
from rootstock.errors import BuildError, InputError
from rootstock.host import nix, proc
from rootstock.sbom.errors import NotStaticError
from rootstock.static.checks import SMOKE_FILE, check_static, inspect, probe_toolchain, smoke_build


def compile_c(tmp_path: Path, name: str, *flags: str) -> Path:
    src = tmp_path / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void) { return puts("hi") < 0; }\n')
    out = tmp_path / name
    proc.run(["gcc", *flags, "-o", str(out), str(src)])
    return out


def test_static_binary_passes(tmp_path: Path) -> None:
    report = check_static(compile_c(tmp_path, "static", "-static"))
    assert (report.elf_type, report.interpreter, report.needed, report.has_dynamic) == ("ET_EXEC", None, (), False)


def test_dynamic_binary_is_refused_with_every_reason(tmp_path: Path) -> None:
    binary = compile_c(tmp_path, "dynamic")
    with pytest.raises(NotStaticError) as err:
        check_static(binary)
    message = str(err.value)
    assert message.startswith(f"{binary} is not a fully static binary")
    assert "PT_INTERP requests the program interpreter /lib64/ld-linux-x86-64.so.2" in message
    assert "DT_NEEDED requires the shared library libc.so.6" in message


def test_static_pie_needs_permission(tmp_path: Path) -> None:
    binary = compile_c(tmp_path, "spie", "-static-pie")
    assert inspect(binary).interpreter is None
    with pytest.raises(NotStaticError, match="dynamic section"):
        check_static(binary)
    assert check_static(binary, allow_static_pie=True).elf_type == "ET_DYN"


def test_not_elf(tmp_path: Path) -> None:
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\n")
    with pytest.raises(InputError, match="not an ELF file"):
        check_static(script)
    with pytest.raises(InputError, match="cannot be read"):
        check_static(tmp_path / "absent")


def test_probe_names_a_toolchain_that_links_dynamically(tmp_path: Path) -> None:
    with pytest.raises(NotStaticError, match=r"built by toolchain gcc -O1\)"):
        probe_toolchain(["gcc", "-O1"], tmp_path / "probe-dyn")
    assert probe_toolchain(["gcc", "-static"], tmp_path / "probe-static").needed == ()


def test_the_smoke_derivation_is_for_the_recipes_system(nix_store: Path) -> None:
    # Instantiated only: an i686 derivation cannot build here, and its system is what the check is about.
    [drv] = nix.instantiate(REPO / SMOKE_FILE, [], args={"system": "i686-linux"})
    shown = nix.show_derivation(drv)
    assert (shown["system"], shown["builder"]) == ("i686-linux", "/bin/sh")


FAKE_NIX = """#!/bin/sh
# Stands in for a built nix: records its command line, then "builds" into the store it was given.
echo "$@" > "$RECORD"
grep -q 'sandbox = true' "$NIX_CONF_DIR/nix.conf" || exit 1
mkdir -p "$NIX_STORE_DIR"
printf '%s\\n' "$OUTPUT" > "$NIX_STORE_DIR/out"
echo "$NIX_STORE_DIR/out"
"""


@pytest.mark.parametrize(("output", "ok"), [("built by the static nix", True), ("something else", False)])
def test_smoke_build_passes_the_system_and_checks_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str, ok: bool
) -> None:
    fake = tmp_path / "nix"
    fake.write_text(FAKE_NIX)
    fake.chmod(0o755)
    monkeypatch.setenv("OUTPUT", output)
    monkeypatch.setenv("RECORD", str(tmp_path / "argv"))
    smoke = REPO / SMOKE_FILE
    if ok:
        smoke_build(fake, smoke, system="i686-linux")
    else:
        with pytest.raises(BuildError, match=r"test derivation .*smoke\.nix produced .*/out, not a file holding"):
            smoke_build(fake, smoke, system="i686-linux")
    argv = (tmp_path / "argv").read_text().strip()
    assert argv.startswith(" ".join(nix.EXPERIMENTAL) + " build ")
    assert argv.endswith(f" -f {smoke} --argstr system i686-linux")
