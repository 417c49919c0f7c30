"""Helpers the tests share: file builders, strategies, vault copies, synthetic cases."""
