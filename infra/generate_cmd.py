"""``socialops generate [PATH] [--campaign C] [--post P] [--ahead 4w] [--variants N]
[--provider offline|openai] [--forecast FILE|DIR] [--again] [--json]``: caption variants for
each post with a ``generate`` brief, written into a reviewable file next to its campaign.

For each coming occurrence of such a post (up to ``--ahead``), on each channel and locale,
the provider writes the rule's number of variants (``--variants`` overrides it); every
variant goes through the guardrails (functions/generate/guardrails.py: validate's content
checks, links, personal data, invented numbers and names), a refused one is asked for again
a bounded number of times (functions/generate/variants.py) and then kept in the file with
its reason, never silently. The variants that pass are ranked by the engagement forecast
(infra/ranking.py) of the brand's model (``--forecast``: a ``forecast.json`` as ``optimize``
stores it, or a folder of them by brand, see ``Forecasts``); ``chosen`` is the best P50, and
``why`` says so, or why nothing was chosen.

The file is ``<campaign file>.generated.yml`` (the ``generated`` kind, schema/generated.py).
Texts already in it are kept (a reviewer may have edited them; ``--again`` writes the
selected posts' texts anew), as are other posts'; texts of occurrences more than
``KEEP_PAST`` in the past are dropped (they went out). Merging the pull request that holds
the file approves its chosen texts: ``validate`` checks them, ``compile`` puts them into the
build, ``publish`` posts only those.

The provider: ``openai`` (the ``openai`` SDK, ``OPENAI_BASE_URL`` for any compatible server,
``OPENAI_MODEL``, the key from ``OPENAI_API_KEY`` or the Secrets Manager secret named by
``OPENAI_SECRET``), by default when ``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is
set; else ``offline`` (functions/generate/offline.py), which says what it is in the file.
Exit 0 when every occurrence has a chosen text, 1 when some has none (the file says why),
2 for a usage mistake.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from schema.platforms import PLATFORMS

KEEP_PAST = timedelta(days=14)  # the longest late_by: a late retry still finds its text
SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/+-]*$")  # written unquoted in the YAML
HEADER = ("# Written by `socialops generate` ({provider}, {model}). Merging the pull request\n"
          "# approves each `chosen` text; edit one by hand if you like: `socialops validate`\n"
          "# checks it again. Variants with `refused` were dropped by the guardrails.\n")  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options after the common ones (PATH, --now, --cache-dir, --no-cache)."""
    parser.add_argument("--campaign", help="only this campaign")
    parser.add_argument("--post", help="only this post (its id)")
    parser.add_argument("--ahead", default="4w", help="how far ahead to write texts for "
                        "coming occurrences: 10d, 4w (4w)")  # fmt: skip
    parser.add_argument("--variants", type=int, help="variants per text, 1-10 (default: the "
                        "rule's)")  # fmt: skip
    parser.add_argument("--provider", choices=("offline", "openai"),
                        help="who writes (default: openai when OPENAI_BASE_URL or "
                        "OPENAI_API_KEY is set, else offline)")  # fmt: skip
    parser.add_argument("--forecast", metavar="FILE|DIR", help="the forecast model to rank "
                        "the variants by: a forecast.json as optimize stores it, or a folder "
                        "of them as the data bucket's models/ (brand=<b>/forecast.json)")  # fmt: skip
    parser.add_argument("--again", action="store_true", help="write the selected posts' "
                        "texts anew, even those already in the file")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")


class Refused(Exception):
    """A usage mistake or an unusable provider: one line, exit 2."""


def ahead(text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d{1,4})\s*(d|w)\s*", text)
    if match is None:
        raise Refused(f"--ahead: expected days or weeks such as 10d or 4w, found {text!r}")
    days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
    if not 1 <= days <= 366:
        raise Refused(f"--ahead: expected 1 day to a year, found {text!r}")
    return timedelta(days=days)


def provider_of(name: str | None, env: Mapping[str, str]) -> Any:
    """The provider asked for, or the default (see the module)."""
    from functions.generate.offline import OfflineProvider

    if name is None:
        name = "openai" if env.get("OPENAI_BASE_URL") or env.get("OPENAI_API_KEY") else "offline"
    if name == "offline":
        return OfflineProvider()
    from functions.generate.providers import DEFAULT_MODEL, OpenAIProvider

    key = env.get("OPENAI_API_KEY") or _secret_key(env.get("OPENAI_SECRET"))
    if not key:
        raise Refused("--provider openai: no key: set OPENAI_API_KEY, or name the Secrets "
                      "Manager secret that holds it in OPENAI_SECRET")  # fmt: skip
    return OpenAIProvider(key, env.get("OPENAI_BASE_URL") or None,
                          env.get("OPENAI_MODEL") or DEFAULT_MODEL)  # fmt: skip


def images_of(provider: Any, env: Mapping[str, str]) -> Any:
    """The images API where one is configured: ``OPENAI_IMAGE_MODEL`` with the openai
    provider (its client, key and endpoint); None: the offline card."""
    model = env.get("OPENAI_IMAGE_MODEL", "").strip()
    if not model or getattr(provider, "name", "") != "openai":
        return None
    from infra.images import ModelImages

    return ModelImages(provider.client, model)


def _secret_key(name: str | None) -> str | None:
    if not name:
        return None
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])
    except (BotoCoreError, ClientError, KeyError) as error:
        raise Refused(f"OPENAI_SECRET: the secret {name!r} cannot be read "
                      f"({type(error).__name__})") from None  # fmt: skip


class Forecasts:
    """The forecast models to rank by, per brand: ``--forecast FILE`` (one model, for every
    brand), or ``--forecast DIR`` laid out as the data bucket's ``models/`` prefix
    (``DIR/brand=<brand>/forecast.json``, as ``optimize`` stores them: ``aws s3 sync
    s3://<bucket>/models DIR``); a brand without one is not ranked."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None
        self.loaded: dict[str, tuple[Any, str | None]] = {}
        if self.path is not None and not self.path.exists():
            raise Refused(f"--forecast: cannot read {path}: no such file or folder")

    def of(self, brand: str) -> tuple[Any, str | None]:
        """The brand's model and where it came from (None, None: no model)."""
        if self.path is None:
            return None, None
        if brand not in self.loaded:
            file = (
                self.path / f"brand={brand}" / "forecast.json" if self.path.is_dir() else self.path
            )
            where = f"brand={brand}/forecast.json" if self.path.is_dir() else file.name
            self.loaded[brand] = (_model(file), where) if file.is_file() else (None, None)
        return self.loaded[brand]


def _model(file: Path) -> Any:
    """The engagement model in ``file``: the document ``optimize`` stores (its ``models``
    by metric, functions/optimize/training.py) or one model as ``Model.to_json`` writes it."""
    from functions.optimize.forecast import Model
    from functions.optimize.training import FORMAT

    try:
        doc = json.loads(file.read_bytes())
        if isinstance(doc, dict) and doc.get("format") == FORMAT:
            if "engagement" not in (doc.get("models") or {}):
                raise ValueError("it holds no engagement model")
            return Model.from_dict(doc["models"]["engagement"])
        return Model.from_dict(doc)
    except OSError as error:
        raise Refused(f"--forecast: cannot read {file}: {error.strerror}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise Refused(f"--forecast: {file} is not a forecast model ({error})") from None


# ---- one occurrence ---------------------------------------------------------------------


@dataclass
class Item:
    """One occurrence's text: kept from the file, or written now."""

    campaign: str
    post: str
    channel: str
    locale: str
    local: datetime
    tz: str
    utc: datetime
    chosen: str | None = None
    why: str = ""
    variants: list[dict[str, Any]] = field(default_factory=list)
    kept: bool = False  # already in the file: not written again
    image: dict[str, Any] | None = None  # schema/generated.py GeneratedImage, when drawn
    video: dict[str, Any] | None = None  # schema/generated.py GeneratedVideo, when made
    folder: str = ""  # the generated file's folder (its media's paths are relative to it)

    def entry(self) -> dict[str, Any]:
        """The file's entry (schema/generated.py ``Written``)."""
        out: dict[str, Any] = {"at": f"{self.local:%Y-%m-%d %H:%M}", "timezone": self.tz,
                               "channel": self.channel}  # fmt: skip
        if self.locale:
            out["locale"] = self.locale
        if self.chosen is not None:
            out["chosen"] = self.chosen
        if self.why:
            out["why"] = self.why
        out["variants"] = self.variants
        if self.image is not None:
            out["image"] = self.image
        if self.video is not None:
            out["video"] = self.video
        return out

    def as_json(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "post": self.post, "channel": self.channel,
                "locale": self.locale or None, "at": f"{self.local:%Y-%m-%d %H:%M}",
                "timezone": self.tz, "scheduled_for": f"{self.utc:%Y-%m-%dT%H:%M:%SZ}",
                "chosen": self.chosen, "reasons": [] if self.chosen else [self.why],
                "why": self.why, "variants": self.variants, "kept": self.kept,
                "image": self._media(self.image), "video": self._media(self.video)}  # fmt: skip

    def _media(self, entry: dict[str, Any] | None) -> dict[str, Any] | None:
        """A media entry for the output, with ``path``: where its file is from here."""
        return None if entry is None else {**entry, "path": str(Path(self.folder) / entry["file"])}


def write_item(item: Item, config: Any, post: Any, occurrence: Any, provider: Any,
               model: Any, variants: int | None, occasion: int,
               taken: Set[str] = frozenset()) -> None:  # fmt: skip
    """Write ``item``'s variants, rank them and choose (see the module); ``taken``: texts
    chosen for the post's other occurrences on a platform that refuses a text twice."""
    from functions.generate.briefs import grounds_for, language, request_for
    from functions.generate.variants import write

    campaign, brand = config.campaign, config.brand
    rule = campaign.generation[post.generate.rule]
    lang = language(config, rule, occurrence.locale, occurrence.audiences)
    request = request_for(config, post, item.channel, lang, occasion, variants)
    grounds = grounds_for(config, post)
    written = write(request, provider, grounds)
    kept = written.kept
    forecasts: dict[str, Any] = {}
    ranking_note = "not ranked: no forecast model of the brand given (--forecast)"
    if model is not None and kept:
        from functions.publish.due import render
        from infra.ranking import rank
        from infra.report.forecasting import account_key, media_kind

        account = account_key(item.channel, brand.accounts[item.channel].handle)
        media = media_kind(render(post, item.channel, item.locale)[1])
        ranking = rank([v.text for v in kept], model, account,
                       item.utc.astimezone(_zone(item.tz)), media, None)  # fmt: skip
        forecasts = {r.text: r.forecast for r in ranking.ranked}
        order = [r.text for r in ranking.ranked]
        kept = sorted(kept, key=lambda v: order.index(v.text))
        ranking_note = ("ranked by the pooled model: no history of this account yet" if
                        ranking.pooled else f"ranked by {brand.name}'s own model")  # fmt: skip
    for variant in [*written.kept, *written.dropped]:
        entry: dict[str, Any] = {"text": variant.text}
        forecast = forecasts.get(variant.text)
        if forecast is not None:
            entry |= {"p10": round(forecast.p10, 1), "p50": round(forecast.p50, 1),
                      "p90": round(forecast.p90, 1), "p_viral": round(forecast.p_viral, 3)}  # fmt: skip
        if variant.refusals:
            entry["refused"] = "; ".join(f"{r.code} {r.reason}" for r in variant.refusals)[:200]
        item.variants.append(entry)
    fresh = [v for v in kept if v.text not in taken]
    title = PLATFORMS[item.channel].title
    if fresh:
        best = fresh[0]
        item.chosen = best.text
        score = forecasts.get(best.text)
        which = (f"{len(kept)} passing variants" if len(fresh) == len(kept) else
                 f"{len(fresh)} passing variants not chosen before on {title} (it refuses "
                 "a text twice)")  # fmt: skip
        item.why = (f"best P50 ({score.p50:.0f}) of {which}; {ranking_note}" if score is not None
                    else f"the provider's first of {which}; {ranking_note}")[:200]  # fmt: skip
    elif kept:
        item.why = (f"every passing variant is chosen for another time on {title}, which "
                    "refuses the same text twice: ask for more (--variants) or edit one")  # fmt: skip
    else:
        item.why = written.none_passed[:200]


IMAGES = "media"  # beside the generated file: media/<campaign>/<post>-<channel>-....png


def draw_image(item: Item, post: Any, config: Any, kit: Any, folder: Path,
               model: Any = None) -> dict[str, Any]:  # fmt: skip
    """The image of ``item``'s chosen text in its channel's size: drawn by the images API
    where one is configured (``model``: infra.images.ModelImages), else (or when it fails)
    the card (infra/images.py); written beside the generated file (the pull request shows
    it); its ``GeneratedImage`` entry."""
    from infra.images import SIZES, card, format_for, headline_of

    assert item.chosen is not None
    brand = config.brand.display_name or config.brand.name.capitalize()
    wanted = post.generate.image
    headline = wanted.headline or headline_of(item.chosen)
    size = SIZES[item.channel]
    fmt = format_for(item.channel)
    data, by, alt = b"", "card", f"{brand} card: {headline}"
    if model is not None:
        prompt = wanted.prompt or f"{' '.join(post.generate.brief.split())} {item.chosen}"
        try:
            data, by, alt = model.draw(prompt, kit, size, fmt), model.by, f"{brand} image: {prompt}"
        except Exception as error:  # the API or its answer: the card stands in, and says why
            by = f"card (the images API failed: {type(error).__name__}: {error})"
    if not data:
        data = card(headline, brand, kit, size, fmt)
    identity = f"{item.post}|{item.channel}|{item.locale}|{item.local:%Y-%m-%d %H:%M}|{item.tz}"
    name = (f"{item.post}-{item.channel}{f'-{item.locale}' if item.locale else ''}-"
            f"{item.utc:%Y%m%dT%H%MZ}-{hashlib.sha256(identity.encode()).hexdigest()[:8]}."
            f"{'png' if fmt == 'PNG' else 'jpg'}")  # fmt: skip
    relative = f"{IMAGES}/{item.campaign}/{name}"
    (folder / relative).parent.mkdir(parents=True, exist_ok=True)
    (folder / relative).write_bytes(data)
    return {"file": relative, "size": f"{size[0]}x{size[1]}", "alt": alt[:200],
            "sha256": hashlib.sha256(data).hexdigest(), "by": by[:200]}  # fmt: skip


def make_video(item: Item, post: Any, config: Any, kit: Any, folder: Path) -> dict[str, Any]:
    """The post's video from its blog post (infra/video.py), beside the generated file; made
    again only when what it is made of changes (its name is their digest). Its
    ``GeneratedVideo`` entry."""
    from infra import video

    brief = post.generate.video
    brand = config.brand.display_name or config.brand.name.capitalize()
    try:
        text = video.post_text(brief.source, folder)
        scenes = video.key_sentences(text, brief.seconds)
    except video.VideoError as error:
        raise Refused(f"post {post.id!r}: video: {error}") from None
    recipe = json.dumps([brand, repr(kit), [(s.text, s.seconds) for s in scenes]])
    name = f"{item.post}-video-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}.mp4"
    relative = f"{IMAGES}/{item.campaign}/{name}"
    target_file = folder / relative
    target_file.parent.mkdir(parents=True, exist_ok=True)
    if not target_file.is_file():
        video.render(scenes, brand, kit, target_file)
    data = target_file.read_bytes()
    return {"file": relative, "seconds": round(sum(s.seconds for s in scenes), 1),
            "alt": f"{brand} video: {scenes[0].text}"[:200],
            "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip


def _kit(project: Any, brand: Any) -> Any:
    """The brand's kit with its files read from beside its brand file."""
    from infra.images import Kit

    files = [d.file for d in project.docs
             if d.model is not None and getattr(d.model, "kind", "") == "brand"
             and d.model.name == brand.name]  # fmt: skip
    return Kit.of(brand.kit, Path(files[0]).parent if files else Path("."))


def _prune_images(folder: Path, campaign: str, out: Sequence[tuple[Any, list[Item]]]) -> None:
    """Remove the campaign's images no entry names any more (a text written anew, an
    occurrence gone): the pull request then shows only the cards that will post."""
    drawn = folder / IMAGES / campaign
    if not drawn.is_dir():
        return
    named = {m["file"] for _, items in out for i in items for m in (i.image, i.video) if m}
    for image in [*drawn.glob("*.png"), *drawn.glob("*.jpg"), *drawn.glob("*.mp4")]:
        if f"{IMAGES}/{campaign}/{image.name}" not in named:
            image.unlink()


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


# ---- the file ---------------------------------------------------------------------------


def scalar(value: Any) -> str:
    """A value as the YAML the language reads: plain where unambiguous, else quoted."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"no {value!r} in a generated file")
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    text = str(value)
    if SAFE.match(text) and not text.endswith(" ") and not re.fullmatch(r"[\d.+-]+", text):
        return text
    return json.dumps(text, ensure_ascii=False)


def emit(value: Any, indent: int = 0) -> Iterator[str]:
    """Block-style YAML of mappings, lists and scalars (strictyaml's subset: no flow)."""
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                if not item:
                    continue  # an empty list or mapping: the default
                yield f"{pad}{key}:"
                yield from emit(item, indent + 2)
            else:
                yield f"{pad}{key}: {scalar(item)}"
    elif isinstance(value, list):
        for item in value:
            lines = list(emit(item, indent + 2)) if isinstance(item, dict | list) else [f"{pad}  {scalar(item)}"]  # fmt: skip
            first = lines[0]
            yield f"{pad}- {first[indent + 2 :]}"
            yield from lines[1:]
    else:
        yield f"{pad}{scalar(value)}"


def document(campaign: str, provider: Any, model_note: str | None,
             posts: Sequence[tuple[Any, list[Item]]]) -> str:  # fmt: skip
    """The ``generated`` file for ``campaign``: the posts' briefs and texts, in time order."""
    doc: dict[str, Any] = {"version": 1, "kind": "generated", "name": campaign,
                           "provider": provider.name, "model": provider.model}  # fmt: skip
    if model_note:
        doc["ranking"] = model_note
    doc["posts"] = [{"post": post.id, "rule": post.generate.rule,
                     "brief": " ".join(post.generate.brief.split()),
                     "texts": [i.entry() for i in sorted(items, key=_order)]}
                    for post, items in posts]  # fmt: skip
    header = HEADER.format(provider=provider.name, model=provider.model)
    return header + "\n".join(emit(doc)) + "\n"


def _order(item: Item) -> tuple[Any, ...]:
    return (item.utc, item.channel, item.locale)


def target(doc: Any) -> Path:
    """Where a campaign's generated file goes: next to it, ``<stem>.generated.yml``."""
    source = Path(doc.file)
    return source.with_name(f"{source.stem}.generated.yml")


# ---- the command ------------------------------------------------------------------------


def run(args: argparse.Namespace, project: Any) -> int:
    try:
        return _run(args, project)
    except Refused as error:
        print(f"socialops: generate: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, project: Any) -> int:
    from infra.compiler import config_doc

    horizon = ahead(args.ahead)
    if args.variants is not None and not 1 <= args.variants <= 10:
        raise Refused(f"--variants: expected 1 to 10, found {args.variants}")
    names = sorted(project.campaigns)
    if args.campaign is not None and args.campaign not in names:
        from infra.errors import suggest

        raise Refused(f"--campaign: {suggest(args.campaign, names)}no campaign "
                      f"{args.campaign!r} at the paths given")  # fmt: skip
    selected = [args.campaign] if args.campaign else names
    briefed = {p.id for n in selected for p in project.campaigns[n].model.posts if p.generate}
    if args.post is not None and args.post not in briefed:
        from infra.errors import suggest

        raise Refused(f"--post: {suggest(args.post, sorted(briefed))}no post {args.post!r} "
                      "with a generate brief")  # fmt: skip
    provider = provider_of(args.provider, os.environ)
    images = images_of(provider, os.environ)
    forecasts = Forecasts(args.forecast)
    now = project.now
    items: list[Item] = []
    files: list[str] = []
    for name in selected:
        doc = project.campaigns[name]
        posts = [p for p in doc.model.posts if p.generate is not None]
        if not posts:
            continue
        config = config_doc(project, name)
        model, source = forecasts.of(config.brand.name)
        kit = _kit(project, config.brand)
        existing = project.generated.get(name)
        path = Path(existing.file) if existing is not None else target(doc)
        folder = path.parent  # the images and videos go beside the generated file
        previous = _previous(project, name)
        out: list[tuple[Any, list[Item]]] = []
        for post in posts:
            chosen = args.post is None or post.id == args.post
            texts = _post_items(project, name, post, previous, now, horizon, chosen, args.again)
            taken: dict[str, set[str]] = {}  # chosen texts by channel that refuses repeats
            video: dict[str, Any] | None = None  # one video a post, for all its texts
            for item, _, _ in texts:
                if item.kept and item.chosen and PLATFORMS[item.channel].refuses_duplicates:
                    taken.setdefault(item.channel, set()).add(item.chosen)
            for item, occurrence, occasion in texts:
                item.folder = str(folder)
                if not item.kept:
                    used = taken.setdefault(item.channel, set())
                    write_item(item, config, post, occurrence, provider, model, args.variants,
                               occasion, used if PLATFORMS[item.channel].refuses_duplicates
                               else frozenset())  # fmt: skip
                    if item.chosen:
                        used.add(item.chosen)
                if post.generate.image is None:
                    item.image = None  # the brief no longer asks for one
                elif item.chosen and (not item.kept or item.image is None) and item.utc >= now:
                    item.image = draw_image(item, post, config, kit, folder, images)
                if post.generate.video is None:
                    item.video = None
                elif item.chosen and (not item.kept or item.video is None) and item.utc >= now:
                    video = item.video = video or make_video(item, post, config, kit, folder)
            out.append((post, [t[0] for t in texts]))
            items += [t[0] for t in texts if chosen]
        _prune_images(folder, name, out)
        note = source and f"the engagement forecast {source} of --forecast"[:200]
        text = document(name, provider, note, out)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
    missing = [i for i in items if i.chosen is None]
    if args.json:
        print(json.dumps({"provider": provider.name, "model": provider.model,
                          "files": files, "items": [i.as_json() for i in items]},
                         ensure_ascii=False, indent=2))  # fmt: skip
    else:
        _print(items, files)
    return 1 if missing else 0


def _previous(project: Any, name: str) -> dict[tuple[str, ...], tuple[Any, Any]]:
    """The campaign's generated file's texts by occurrence (post, channel, locale, local,
    zone), with their post's brief; empty without a valid file."""
    from infra.checks.generated import occurrence_key

    doc = project.generated.get(name)
    if doc is None or doc.model is None:
        return {}
    out = {}
    for entry in doc.model.posts:
        for text in entry.texts:
            key = occurrence_key(entry.post, text.channel, text.locale,
                                 f"{text.at:%Y-%m-%d %H:%M}", text.timezone)  # fmt: skip
            out[key] = (entry.brief, text)
    return out


def _post_items(project: Any, name: str, post: Any, previous: Mapping[tuple[str, ...], Any],
                now: datetime, horizon: timedelta, chosen: bool,
                again: bool) -> list[tuple[Item, Any, int]]:  # fmt: skip
    """The post's items in the file: kept ones, and new ones for the coming occurrences
    (only for a chosen post); each with its occurrence and its place in the post's series."""
    from infra.checks.generated import occurrence_key

    timeline = project.timelines[name]
    occurrences = [o for o in timeline.future(now - KEEP_PAST) if o.post == post.id]
    brief = " ".join(post.generate.brief.split())
    out: list[tuple[Item, Any, int]] = []
    # the post's place in its series: by local day, so that every zone gets the same one
    series = sorted({str(r["local"])[:10] for r in timeline.rows() if r["post"] == post.id})
    for occurrence in occurrences:
        key = occurrence_key(post.id, occurrence.channel, occurrence.locale,
                             f"{occurrence.local:%Y-%m-%d %H:%M}", occurrence.tz)  # fmt: skip
        item = Item(name, post.id, occurrence.channel, occurrence.locale, occurrence.local,
                    occurrence.tz, occurrence.utc)  # fmt: skip
        old = previous.get(key)
        anew = chosen and again and occurrence.utc >= now  # what went out stays as it was
        if old is not None and " ".join(old[0].split()) == brief and not anew:
            text = old[1]
            item.chosen, item.why, item.kept = text.chosen, text.why or "", True
            item.variants = [v.model_dump(exclude_none=True) for v in text.variants]
            item.image = text.image.model_dump() if text.image is not None else None
            item.video = text.video.model_dump() if text.video is not None else None
        elif not chosen or occurrence.utc < now or occurrence.utc > now + horizon:
            continue  # not asked for, gone out, or too far ahead: nothing to write
        out.append((item, occurrence, series.index(f"{occurrence.local:%Y-%m-%d}")))
    return out


def _print(items: Sequence[Item], files: Sequence[str]) -> None:
    written = [i for i in items if not i.kept]
    for item in written:
        where = f"{item.campaign}/{item.post} {item.channel}{f' ({item.locale})' if item.locale else ''}"  # fmt: skip
        when = f"{item.local:%Y-%m-%d %H:%M} {item.tz}"
        print(f"{where} at {when}: " + (f"chosen: {item.chosen}" if item.chosen else f"none chosen: {item.why}"))  # fmt: skip
    kept = len(items) - len(written)
    print(
        f"{len(written)} texts written, {kept} kept from the file; "
        + (f"wrote {', '.join(files)}" if files else "no file changed")
    )
