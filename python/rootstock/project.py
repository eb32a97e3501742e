"""The checkout as a whole: its pins, its stage graph and its mirror, loaded once for a command."""

from __future__ import annotations

from pathlib import Path

from attrs import frozen

from rootstock.options import GlobalOptions
from rootstock.pins.convert import load_pins
from rootstock.pins.fetch import Fetcher
from rootstock.pins.mirror import Mirror
from rootstock.pins.model import Pins
from rootstock.stages.load import load_graph
from rootstock.stages.model import Graph

STAGES_FILE = "stages.toml"


@frozen
class Project:
    """Everything a command needs to know about the checkout."""

    root: Path
    pins_file: Path
    pins: Pins
    mirror: Mirror | None

    @classmethod
    def load(cls, options: GlobalOptions) -> Project:
        """Load and check the pins file.

        Raises:
            InputError: the pins file is missing or invalid.
        """
        mirror = Mirror(options.mirror) if options.mirror is not None else None
        return cls(options.root, options.pins_file, load_pins(options.pins_file), mirror)

    def graph(self) -> Graph:
        """The stage graph, checked against the pins."""
        return load_graph(self.root / STAGES_FILE, self.pins)

    def fetcher(self) -> Fetcher:
        """A fetcher that honours the mirror."""
        return Fetcher(self.pins, self.mirror)
