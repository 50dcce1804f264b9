"""Data loaders for operators: the demo data set and the first admin."""
