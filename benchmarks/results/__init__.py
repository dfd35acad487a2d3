"""The results tables of docs/results.md and the tools that read the run records."""
