"""The sections of a case workspace, one module each."""
