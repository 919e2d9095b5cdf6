"""Benchmarks shared by `rillm bench` and the pytest-benchmark suite in benches/: the workloads (synthetic
streams shaped like each provider's, `workloads.py`), what each implementation runs (`impls.py`), the
end-to-end server (`serve.py`) and the table-driven runner (`runner.py`). Not part of the public API."""
