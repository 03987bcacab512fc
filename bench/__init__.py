"""Benchmarks of Participa: data generators and load runs against a real server (docs/performance.md)."""
