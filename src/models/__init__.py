"""Backbones: tensors in, tensors out. Imports nothing else from ``src``."""
