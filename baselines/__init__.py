"""Wrappers for external baseline programs and built-in reference methods."""
