"""Metrics engine: video IO, metric registry, feature cache and statistics."""
