"""Text: accent folding and cutting a story into passages and sentences."""
