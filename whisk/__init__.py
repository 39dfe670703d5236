"""Whisk: a serverless engine in the style of Apache OpenWhisk."""

__version__ = "0.1.0"
