"""Validation layers after the schema: secrets, references across files, time, content."""
