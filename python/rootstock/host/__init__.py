"""The doors to external programs: processes, Nix, git, dpkg; every call returns typed results."""
