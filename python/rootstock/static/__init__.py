"""The static Nix recipe (static-nix.toml): model, build, result checks, reproduction."""
