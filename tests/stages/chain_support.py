"""The fixture chain (seed -> hex0 -> catm -> a joined file) in a throwaway checkout, for the stage tests.

The seed is rootstock's own hex0 assembler (tests/fixtures/stage0); upstream is a git repository the test makes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from common_support import REPO, git, make_repo
from rootstock.assemble.hex0 import assemble_hex0
from rootstock.cli import main
from rootstock.core.hashes import Hash
from rootstock.core.nar import nar_hash

FIXTURES = REPO / "tests" / "fixtures" / "stage0"
PLACEHOLDER = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
ARCHES = {"x86_64-linux": "AMD64", "i686-linux": "x86"}


def file_nar(tmp: Path, data: bytes, mode: int) -> Hash:
    path = tmp / f"nar-{len(list(tmp.iterdir()))}"
    path.write_bytes(data)
    path.chmod(mode)
    return nar_hash(path)


class Chain:
    """A checkout with pins (seed, git source) and a three-step graph, rendered and ready to build."""

    def __init__(self, root: Path, tmp: Path, system: str) -> None:
        self.root = root
        self.tmp = tmp
        self.system = system
        self.arch = ARCHES[system]
        scratch = tmp / "scratch"
        scratch.mkdir()
        sources = {
            f"{self.arch}/{name}": (FIXTURES / self.arch / name).read_text()
            for name in ("seed.hex0", "seed-bad.hex0", "catm.hex0")
        }
        catm = assemble_hex0(sources[f"{self.arch}/catm.hex0"])
        # The oracle knows catm; its entry for joined is deliberately different, so the graph must explain it.
        answers = f"{hashlib.sha256(catm).hexdigest()}  {self.arch}/bin/catm\n{'0' * 64}  {self.arch}/bin/joined\n"
        self.upstream = tmp / "upstream-src"
        make_repo(
            self.upstream, {**sources, "a.txt": "first part\n", "b.txt": "second part\n", "fixture.answers": answers}
        )
        self.explanation = 'explained = { joined = "the oracle records another text on purpose" }\n'

        self.seed_file = tmp / "published" / "seed"
        self.publish_seed("seed.hex0")
        self.outputs = {
            "catm": file_nar(scratch, catm, 0o750).sri,
            "joined": file_nar(scratch, b"first part\nsecond part\n", 0o640).sri,
        }
        self.seed_source = "seed.hex0"
        (root / "pins.toml").write_text(
            f'[pins.seed]\nkind = "file"\nurls = ["{self.seed_file.as_uri()}"]\nexecutable = true\n'
            f'hash = "{nar_hash(self.seed_file).sri}"\n\n'
            f'[pins.src]\nkind = "git"\nurl = "{self.upstream.as_uri()}"\nrev = "{"0" * 40}"\n'
            f'hash = "{PLACEHOLDER}"\n'
        )
        assert self.cli("pins", "update", "src", "--rev", self.head()) == 0
        self.write_graph()

    def head(self) -> str:
        return git(self.upstream, "rev-parse", "HEAD")

    def publish_seed(self, source: str) -> None:
        self.seed_file.parent.mkdir(exist_ok=True)
        self.seed_file.unlink(missing_ok=True)
        self.seed_file.write_bytes(assemble_hex0((FIXTURES / self.arch / source).read_text()))
        self.seed_file.chmod(0o755)

    def write_graph(self) -> None:
        s = self.system
        (self.root / "stages.toml").write_text(
            f'[systems.{s}]\nvars = {{ arch = "{self.arch}" }}\n\n'
            f'[[step]]\nname = "hex0"\nbuilder = "pin:seed"\n'
            f'args = ["{{pin:src}}/{{arch}}/{self.seed_source}", "{{out}}"]\noutput = {{ {s} = "pin:seed" }}\n\n'
            f'[[step]]\nname = "catm"\nbuilder = "hex0"\nargs = ["{{pin:src}}/{{arch}}/catm.hex0", "{{out}}"]\n'
            f'output = {{ {s} = "{self.outputs["catm"]}" }}\n\n'
            f'[[step]]\nname = "joined"\nbuilder = "catm"\n'
            f'args = ["{{out}}", "{{pin:src}}/a.txt", "{{pin:src}}/b.txt"]\n'
            f'output = {{ {s} = "{self.outputs["joined"]}" }}\n\n'
            f'[[oracle]]\nname = "fixture answers"\nanswers = "{{pin:src}}/fixture.answers"\nprefix = "{{arch}}/bin/"\n'
            f'steps = ["catm", "joined"]\n{self.explanation}'
        )
        assert self.cli("render") == 0

    def cli(self, *args: str, mirror: Path | None = None) -> int:
        extra = ["--mirror", str(mirror)] if mirror else []
        return main(["--root", str(self.root), *extra, *args])

    def build(self, *args: str, mirror: Path | None = None) -> int:
        return self.cli("build", "stage0", "--system", self.system, *args, mirror=mirror)
