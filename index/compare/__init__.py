"""Comparing: aligning the sentences of two passages, and the same moment in every story."""
