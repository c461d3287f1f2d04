"""Items packed into the batches a call takes: so many items at most (a platform's ids per
request: ``batches``), and so much weight in all (an SQS batch's bytes, a DynamoDB
transaction's items: ``packed``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def packed(items: Iterable[T], weight: Callable[[T], int], limit: int,
           most: int | None = None) -> Iterator[list[T]]:  # fmt: skip
    """Consecutive batches of ``items``, in order, each of ``most`` items at most and
    ``limit`` weight in all; an item heavier than ``limit`` goes alone (the call then
    refuses that one item, not its neighbours)."""
    batch: list[T] = []
    room = limit
    for item in items:
        heavy = weight(item)
        if batch and (heavy > room or len(batch) == most):
            yield batch
            batch, room = [], limit
        batch.append(item)
        room -= heavy
    if batch:
        yield batch


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive batches of ``items``, in order, ``size`` items each (the last fewer)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
