"""CME Desktop: the Children Missing Education named officer's application."""

__version__ = "0.1.0"
