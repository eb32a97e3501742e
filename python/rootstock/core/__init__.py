"""Pure values and files: hashes, NAR serialisation, atomic writes; no external program."""
