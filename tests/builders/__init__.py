"""Keyword builders for test data, one module per domain. Each flushes and returns the ORM row."""
