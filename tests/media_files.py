"""What the media tests of the adapters share: a media loader from a table of files or a
function of the URL, and a ``sleep`` that records its waits instead of waiting."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from functions.common.media import Blob, blob


class Files:
    """The media loader of a test: each URL's bytes from ``files`` (a table), or made by
    ``files(url, kind)``; checked by their first bytes as the store does."""

    def __init__(self, files: Mapping[str, bytes] | Callable[[str, str], bytes]) -> None:
        self.files = files

    def __call__(self, url: str, kind: str, alt: str = "") -> Blob:
        data = self.files(url, kind) if callable(self.files) else self.files[url]
        return blob(data, kind, alt, url)


class Sleeps(list[float]):
    """A ``sleep`` that records each wait (the polls between an upload and its post)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
