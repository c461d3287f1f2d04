"""What publish and ingest both say to the platforms: the HTTP exchange (``http``), the
error tables that turn a refusal into a ``PlatformError`` in plain words (``errors``), the
waits a platform asks for (``retry``) and the token store (``tokens``).

Kept here, not in ``functions/publish``, so that each function's package holds its own
folder and ``functions/common`` only (ARCHITECTURE.md 12)."""
