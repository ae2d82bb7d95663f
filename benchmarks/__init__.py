"""Speed and memory benchmarks, each measured against a baseline in the same run (never timed
tests). Run one with `python -m benchmarks.<name> --help`; see benchmarks/README.md."""
