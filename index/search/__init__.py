"""Searching an index: query parsing, candidates, fusion, token match, explanation, results."""
