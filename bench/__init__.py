"""Benchmarks of the data plane: ``python -m bench.ingest`` (see bench/README.md)."""
