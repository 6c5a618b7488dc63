"""The shell: the Prefect flows and everything that touches the network, files or the clock.

- `ingest.py` the nightly flow, `digest.py` the weekly flow, `reparse.py` a re-run over the archive;
  `sources.py` the registry, `settings.py` the environment.
- `tasks/` the flows' steps: discover pages, collect (fetch and archive), parse in a pool, index,
  build and render the digest.
- `adapters/` the outside world: HTTP fetching and its politeness, the raw archive, SMTP mail, the local
  Prefect server, the clock, memory hand-back, a loopback web site for tests and benchmarks.
- `cli/` the `policywatch` command line, thin over the above; `bench/` the benchmarks, loaded only by
  `policywatch bench`.
"""
