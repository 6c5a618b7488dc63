"""Benchmarks (`policywatch bench ...`): one module per benchmark, imported only when that benchmark runs."""
