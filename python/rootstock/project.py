"""The checkout's pins and mirror, loaded once for a command (rootstock.plan adds the graph and the recipe)."""

from __future__ import annotations

from pathlib import Path

from attrs import frozen

from rootstock.options import GlobalOptions
from rootstock.pins.convert import load_pins
from rootstock.pins.fetch import Fetcher
from rootstock.pins.mirror import Mirror
from rootstock.pins.model import Pins


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
            InputError: there is no checkout, or its pins file is missing or invalid.
        """
        root, pins_file = options.checkout()
        mirror = Mirror(options.mirror) if options.mirror is not None else None
        return cls(root, pins_file, load_pins(pins_file), mirror)

    def fetcher(self) -> Fetcher:
        """A fetcher that honours the mirror."""
        return Fetcher(self.pins, self.mirror)
