"""Storage: an index directory's generations, its database, and its vector and keyword files."""
