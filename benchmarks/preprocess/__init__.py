"""Per-clip preparation steps: face detection and landmarks, frame filters, FFHQ-style alignment,
audio features and identity embeddings. ``benchmarks.prepare`` chains them (see docs/preparation.md)."""
