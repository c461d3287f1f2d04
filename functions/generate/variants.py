"""Writing a post's variants: ask a provider, keep what passes the guardrails, ask again
for the rest a bounded number of times, and say why each dropped one was dropped.

``write(request, provider, grounds)`` returns every attempt (the provider's outcome, or the
texts it wrote) and every variant with the refusals it met: the passing ones are
``kept``; a variant refused on its last attempt is dropped with its reasons, never kept
silently. A provider that fails for a reason that may pass (a timeout, no connection, a
server error, a malformed or truncated answer, a rate limit whose reset is within
``MAX_WAIT_S``) is asked again within the same bound; one that declines or is filtered is
not asked again (the same brief would meet the same answer).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from functions.generate.guardrails import Grounds, Refusal, check
from functions.generate.providers import Answer, ProviderError, Request

ATTEMPTS = 3  # calls to the provider for one post, at most
MAX_WAIT_S = 60.0  # a rate limit's reset waited for, at most
RETRYABLE = {"timeout", "connection", "server_error", "malformed", "truncated", "rate_limited"}


class Provider(Protocol):
    name: str

    def write(self, request: Request) -> Answer: ...


@dataclass(frozen=True)
class Variant:
    text: str
    attempt: int  # which call wrote it, from 1
    refusals: tuple[Refusal, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.refusals


@dataclass
class Written:
    """What writing a post's variants came to."""

    provider: str
    model: str = ""
    attempts: list[str] = field(default_factory=list)  # "ok: 3 texts" or a provider's outcome
    variants: list[Variant] = field(default_factory=list)  # every text written, in order

    @property
    def kept(self) -> list[Variant]:
        return [v for v in self.variants if v.passed]

    @property
    def none_passed(self) -> str:
        """Why no variant is there to choose: the refusals' codes and the provider's
        outcomes (the review file's ``why``, the run-time text's reason)."""
        codes = ", ".join(sorted({r.code for v in self.dropped for r in v.refusals}))
        tried = "; ".join(self.attempts) or "not asked"
        return f"no variant passed ({codes or 'none written'}; provider: {tried})"

    @property
    def dropped(self) -> list[Variant]:
        """The refused texts of the last attempt that wrote any (earlier ones were replaced)."""
        last = max((v.attempt for v in self.variants), default=0)
        return [v for v in self.variants if not v.passed and v.attempt == last]


def write(request: Request, provider: Provider, grounds: Grounds, attempts: int = ATTEMPTS,
          sleep: Callable[[float], None] = time.sleep, deadline_s: float | None = None,
          clock: Callable[[], float] = time.monotonic) -> Written:  # fmt: skip
    """Up to ``request.n`` variants that pass (see the module); no call is started, and no
    reset waited for, past ``deadline_s`` seconds from now (an invocation's time)."""
    out = Written(provider.name)
    wanted = request.n
    began = clock()

    def late(wait: float = 0.0) -> bool:
        if deadline_s is not None and clock() - began + wait > deadline_s:
            out.attempts.append("out of time: not asked again")
            return True
        return False

    for attempt in range(1, attempts + 1):
        if attempt > 1 and late():
            break
        try:
            answer = provider.write(replace(request, n=wanted, attempt=attempt))
        except ProviderError as error:
            out.attempts.append(f"{error.outcome}: {error.detail}")
            if error.outcome not in RETRYABLE or attempt == attempts:
                break
            if error.outcome == "rate_limited":
                wait = error.retry_after if error.retry_after is not None else 1.0
                if not 0 <= wait <= MAX_WAIT_S or late(wait):  # (a NaN is neither)
                    break
                sleep(wait)
            continue
        out.model = answer.model
        out.attempts.append(f"ok: {len(answer.texts)} texts")
        seen = {v.text for v in out.kept}
        for text in answer.texts:
            refusals = check(text, request.channel, request.brand, grounds, request.paid)
            if text in seen:
                refusals = [*refusals, Refusal("G605", "the same text as another variant")]
            seen.add(text)
            out.variants.append(Variant(text, attempt, tuple(refusals)))
        wanted = request.n - len(out.kept)
        if wanted <= 0:
            break
    return out
