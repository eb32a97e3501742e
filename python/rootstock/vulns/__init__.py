"""Offline vulnerability matching of an SBOM against OSV and NVD feeds (docs/sbom.md, "Vulnerabilities")."""
