"""The ``ingest`` function (see functions/README.md)."""
