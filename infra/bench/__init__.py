"""Benchmarks run as commands (`verachain bench NAME`), never as timed tests."""
