"""The static Nix recipe as data: toolchains and the packages built with them (static-nix.toml)."""
