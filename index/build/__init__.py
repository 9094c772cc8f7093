"""Building: reading story files and bringing an index up to date with them."""
