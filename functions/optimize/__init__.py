"""The ``optimize`` function (see functions/README.md)."""
