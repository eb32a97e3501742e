"""The stage graph: the bootstrap described once, as data."""
