"""rootstock: a Nix toolchain whose every layer is accounted for."""

__version__ = "0.1.0"
