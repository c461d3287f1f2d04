"""The ``score`` function (see functions/README.md)."""
