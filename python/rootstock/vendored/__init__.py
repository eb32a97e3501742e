"""Vendored copies of known libraries inside binaries, found by signature and reconciled with an SBOM."""
