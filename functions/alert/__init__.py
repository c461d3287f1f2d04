"""The ``alert`` function (see functions/README.md)."""
