"""Assemblers for the bootstrap's seed formats, so fixtures and audits never need an upstream binary."""
