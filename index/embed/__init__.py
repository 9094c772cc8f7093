"""Embedding: the model, loaded lazily by path, and how its forward passes are run."""
