"""Whisk's entities: pure value objects with OpenWhisk's rules. No I/O anywhere below."""
