"""Benchmarks of bayesopt: per-step overhead (`bench.overhead`) and optimization quality against its peers (`bench.quality`)."""
