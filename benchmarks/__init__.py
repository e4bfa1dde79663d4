"""Benchmarks: datasets, MiniTalk, preparation, manifests, generation runs and reports."""
