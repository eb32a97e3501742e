"""The stage graph (stages.toml): the bootstrap described once, as data, resolved per system."""
