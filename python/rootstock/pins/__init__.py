"""Pins: every input with its hash, loaded from the one human-edited pins file."""
