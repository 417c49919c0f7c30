"""The Reports window: the reports and the monthly saves."""
