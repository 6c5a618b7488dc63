"""Benchmarks (`policywatch bench ...`). Importing this package registers every bench command."""

from flows.bench import classify as _classify  # noqa: F401  # registers `bench classify`
from flows.bench import extract as _extract  # noqa: F401  # registers `bench extract`
from flows.bench.app import bench_app

__all__ = ["bench_app"]
from flows.bench import fetch  # noqa: F401  (registers `bench fetch`)
