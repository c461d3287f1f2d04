"""The offline provider: captions without a model, so that generation works with no
endpoint configured (the demo, CI, a team without a key). It says what it is: its name is
``offline`` and its model ``socialops-offline-1``, and the review file shows both.

Deterministic, and built only from what the brand and the brief give:

- **the subject**: the brief's first sentence, its instruction taken off ("Share one tip
  from the guides..." becomes "One tip from the guides..."); the brief's sentences that
  only tell the writer what to do (rotate through..., keep it..., end with...) are not
  content, and "end with a question" makes every variant end with one;
- **the voice**: the sentences of the brand's voice examples, before or after the subject;
- **a closing question** where the brief asks for one or the tone is curious, from a few
  plain ones;
- **hashtags**: the brand's required ones, then one word of the subject that the brand's
  own words use (its name, voice, examples), more only to reach the rule's minimum, up to
  the rule's and the style guide's counts;
- **a recurring post**: each occurrence (``Request.occasion``) takes the brief's next content
  sentence (a brief that lists a tip a sentence gives one tip a week), and where the brief
  rotates through topics ("Rotate through grind, water and bloom") the next topic; it
  starts further along the sequence of shapes, so that the weeks differ.

Each call writes ``n`` different texts; a later attempt (``Request.attempt``) starts
further along the same sequence, so that asking again gives new texts. A text over the
platform's limit (counted its way) or the rule's loses its voice sentence, then is cut at
a word (no text at all when not even a word of the subject fits). It is honest drafting, not writing: a person reviews every text in the pull
request, and a real model (``--provider openai``) writes better.
"""

from __future__ import annotations

import re

from functions.generate.providers import Answer, Request
from schema.platforms import PLATFORMS, text_length

NAME = "offline"
MODEL = "socialops-offline-1"
LEADS = ("share", "announce", "post", "tell", "give", "write", "explain", "promote",
         "invite", "remind", "show", "highlight", "introduce", "celebrate", "offer",
         "describe", "present", "say", "suggest")  # fmt: skip
AUDIENCE = ("people", "readers", "followers", "fans", "customers", "everyone", "them")
META = ("end with", "start with", "open with", "rotate", "keep", "use ", "avoid", "mention",
        "include", "don't", "do not", "make it", "write", "add ", "ask ", "no ", "never")  # fmt: skip
QUESTIONS = ("What would you add?", "How do you do it?", "What's your take?",
             "Which one will you try first?")  # fmt: skip
STOP = {"about", "with", "from", "that", "this", "their", "there", "which", "where", "while",
        "after", "before", "every", "other", "through", "reason", "works", "practical", "tested"}  # fmt: skip
_SENTENCE = re.compile(r"[^.!?]+[.!?]?")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(" ".join(text.split())) if s.strip()]


def topics(brief: str) -> list[str]:
    """The topics a brief rotates through ("Rotate through grind, water, ratio and bloom")."""
    match = re.search(r"\brotat\w*\s+(?:through|between|among)\s+([^.!?]+)", brief, re.IGNORECASE)
    if match is None:
        return []
    parts = re.split(r",\s*|\s+(?:and|or)\s+", match.group(1).strip())
    return [p.strip() for p in parts if p.strip()]


def _subject(brief: str, occasion: int = 0) -> tuple[str, bool]:
    """The brief's content sentence without its instruction, and whether it asks for a
    closing question."""
    content, question = [], False
    for sentence in _sentences(brief):
        lowered = sentence.lower()
        if "question" in lowered and lowered.startswith(("end with", "close with", "finish with", "ask")):  # fmt: skip
            question = True
            continue
        if lowered.startswith(META):
            continue
        content.append(sentence)
    first = content[occasion % len(content)] if content else (_sentences(brief) or [brief])[0]
    words = first.split()
    if words and words[0].lower().strip(",:") in LEADS:
        words = words[1:]
        if words and words[0].lower() in AUDIENCE:
            words = words[1:]
    subject = " ".join(words) or first
    if not subject.strip():
        return "", question
    subject = subject[0].upper() + subject[1:]
    if not subject.endswith((".", "!", "?")):
        subject += "."
    return subject, question


def _tags(request: Request, subject: str) -> list[str]:
    spec = PLATFORMS[request.channel]
    style = request.brand.style.hashtags
    low, high = request.hashtags or (1, 2)
    for cap in (style.max, spec.max_hashtags):
        if cap is not None:
            high = min(high, cap)
    tags = [t for t in style.required][:high]
    brand = request.brand
    known = " ".join([brand.name, brand.display_name or "", brand.voice.description,
                      *brand.voice.examples]).lower()  # fmt: skip
    words = sorted({w.lower() for w in re.findall(r"[A-Za-z]{5,}", subject)} - STOP,
                   key=lambda w: (w not in known, -len(w), w))  # fmt: skip
    banned = {t.lower() for t in style.banned}
    for word in words:
        enough = len(tags) >= low and (word not in known or len(tags) > len(style.required))
        if enough or len(tags) >= high:
            break
        tag = f"#{word}"
        if tag not in banned and tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    return tags[:high]


def _fits(request: Request, text: str) -> bool:
    spec = PLATFORMS[request.channel]
    limit = min(spec.max_text, request.max_chars or spec.max_text)
    return text_length(request.channel, text) <= limit and len(text) <= limit


def _cut(request: Request, body: str, tail: str) -> str:
    """``body`` cut at a word so that ``body … tail`` fits; without ``tail``'s words that
    do not fit either (a hashtag longer than the limit); empty when nothing fits."""
    tails = tail.split()
    while tails and not _fits(request, " ".join(tails)):
        tails.pop()
    tail = " ".join(tails)
    words = body.split()
    while words and not _fits(request, " ".join([*words, "…", tail]).strip()):
        words.pop()
    return " ".join([*words, "…", tail]).strip() if words else ""


def drafts(request: Request) -> list[str]:
    """``request.n`` different texts, from the attempt's place in the sequence."""
    subject, question = _subject(request.brief, request.occasion)
    if not subject:
        return []  # nothing to write about
    turn = topics(request.brief)
    if turn:
        subject = f"{subject.rstrip('.!?')}: {turn[request.occasion % len(turn)]}."
    voice = [s for e in request.brand.voice.examples for s in _sentences(e)]
    curious = question or any(t.lower() == "curious" for t in (request.tone or request.brand.voice.tone))  # fmt: skip
    tags = " ".join(_tags(request, subject))
    shapes: list[list[str]] = [[subject]]
    for line in voice:
        shapes += [[subject, line], [line, subject]]
    if curious:
        shapes = [[*s, q] for s in shapes for q in QUESTIONS] if question else \
            shapes + [[subject, q] for q in QUESTIONS]  # fmt: skip
    out: list[str] = []
    start = (request.attempt - 1 + request.occasion) * request.n
    for k in range(len(shapes)):
        parts = shapes[(start + k) % len(shapes)]
        text = " ".join([*parts, tags]).strip()
        if not _fits(request, text):
            text = _cut(request, subject, " ".join([*parts[2:], tags]).strip())
        if text and text not in out:
            out.append(text)
        if len(out) == request.n:
            break
    return out


class OfflineProvider:
    name = NAME
    model = MODEL

    def write(self, request: Request) -> Answer:
        return Answer(drafts(request), NAME, MODEL, [])
