"""The static Nix recipe (static-nix.toml): model, loading, build, result checks, SBOM manifest."""
