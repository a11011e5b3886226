"""Benchmarks: run as modules from the project root (`python -m bench.list_queries`); they print figures."""
