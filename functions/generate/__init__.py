"""The ``generate`` function (see functions/README.md)."""
