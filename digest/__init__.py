"""digest: publish a research-paper digest from saved Daily Papers snapshots."""

__version__ = "0.1.0"
