"""SBOM derivation: which inputs went into a binary, and how (link, build or both), from build evidence."""
