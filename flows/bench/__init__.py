"""Benchmarks (`policywatch bench ...`). Importing this package registers every bench command."""

from flows.bench.app import bench_app

__all__ = ["bench_app"]
