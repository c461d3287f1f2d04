"""The ``publish`` function (see functions/README.md)."""
