"""Benchmarks (`policywatch bench ...`). Importing this package registers every bench command."""

from flows.bench import classify as _classify  # noqa: F401  # registers `bench classify`
from flows.bench import dedup as _dedup  # noqa: F401  # registers `bench dedup`
from flows.bench import extract as _extract  # noqa: F401  # registers `bench extract`
from flows.bench import fetch as _fetch  # noqa: F401  # registers `bench fetch`
from flows.bench import pipeline as _pipeline  # noqa: F401  # registers `bench pipeline`
from flows.bench import warehouse as _warehouse  # noqa: F401  # registers `bench warehouse`
from flows.bench.app import bench_app

__all__ = ["bench_app"]
