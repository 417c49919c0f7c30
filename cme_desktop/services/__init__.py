"""Use cases of CME Desktop: plain Python, no Qt."""
