"""Byte-by-byte audit of the seeds and early stages: ELF fields, code, syscalls, reassembly, report."""
