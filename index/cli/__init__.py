"""The command line (`storylens`, `python -m index.cli`), its output and the self-test."""
