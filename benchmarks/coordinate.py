"""The coordinate search the benchmarks' ``--select`` runs (bench_forecast, bench_best_time):
from ``start``, each setting in turn tried at each of its values, the others held, keeping
any change that lowers the score by more than 1e-4; again, up to ``passes`` times, until a
pass changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

T = TypeVar("T")


def coordinate_search(start: T, search: Mapping[str, Sequence[Any]], score: Callable[[T], float],
                      passes: int) -> tuple[T, float]:  # fmt: skip
    """The best settings found and their score (lower is better)."""
    best, best_score = start, score(start)
    for _ in range(passes):
        before = best
        for name, values in search.items():
            for value in values:
                candidate = replace(best, **{name: value})  # type: ignore[type-var]
                found = score(candidate)
                if found < best_score - 1e-4:
                    best, best_score = candidate, found
        if best == before:
            break
    return best, best_score
