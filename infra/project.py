"""Load a project: every file through every validation layer, all errors at once.

Layers, as Cloud Custodian does it: bytes and YAML (``loader``), credentials
(``checks.secrets``), shape (the pydantic models), then across files (``checks.references``),
time (``occurrences``) and content (``checks.content``).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from infra import errors
from infra.cache import Cache, digest
from infra.checks import content, generated, goals, references, secret_names, secrets
from infra.diagnostics import Diagnostic
from infra.loader import MAX_BYTES, LoadError, Path, Positions, decode, parse
from infra.occurrences import Occurrence, expand
from schema.audience import Audience
from schema.brand import Brand
from schema.campaign import Campaign
from schema.documents import KINDS, ApprovedText
from schema.generated import Generated

SUFFIXES = (".yml", ".yaml")


class UsageError(Exception):
    """A command-line mistake (exit 2), not a problem in the files."""


@dataclass
class Loaded:
    file: str
    digest: str
    data: Any = None
    model: Any = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Positions are read from the cache only when a new diagnostic needs one.
    positions_source: Callable[[], Positions] | None = None
    credentials: bool = False  # a credential was found: nothing of the file is cached
    _positions: Positions | None = None

    @property
    def positions(self) -> Positions:
        if self._positions is None:
            self._positions = self.positions_source() if self.positions_source else Positions()
        return self._positions

    @positions.setter
    def positions(self, value: Positions) -> None:
        self._positions = value

    def at(self, path: Path, code: str, message: str, *, key: bool = False) -> Diagnostic:
        line, col = self.positions.key(path) if key else self.positions.value(path)
        return Diagnostic(self.file, line, col, code, errors.key_path(path), message)


@dataclass
class Timeline:
    """A campaign's occurrences, sorted by time.

    From the cache it reads only the UTC stamps and each post's last occurrence; the
    occurrences themselves are read and built only when asked (a re-run after one change
    leaves unchanged campaigns alone).
    """

    stamps: list[str]  # "YYYY-MM-DDTHH:MM:SSZ", sorted: compares as text
    last: dict[str, list[str]]  # post id -> [utc stamp, local time, zone]
    rows: Callable[[], list[dict[str, Any]]]
    parsed: list[Occurrence] | None = None

    @classmethod
    def of(cls, occurrences: list[Occurrence]) -> Timeline:
        rows = [o.to_json() for o in occurrences]
        last: dict[str, list[str]] = {}
        for row in rows:  # sorted by time: the last row of a post is its latest
            last[str(row["post"])] = [str(row["utc"]), str(row["local"]), str(row["tz"])]
        return cls([str(row["utc"]) for row in rows], last, lambda: rows, occurrences)

    def summary(self) -> dict[str, Any]:
        return {"stamps": self.stamps, "last": self.last}

    def future_count(self, now: datetime) -> int:
        return len(self.stamps) - bisect.bisect_left(self.stamps, stamp(now))

    def future(self, now: datetime) -> list[Occurrence]:
        if self.parsed is None:
            self.parsed = [Occurrence.from_json(row) for row in self.rows()]
        return self.parsed[len(self.stamps) - self.future_count(now) :]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Project:
    docs: list[Loaded]
    now: datetime
    diagnostics: list[Diagnostic] = field(default_factory=list)
    brands: dict[str, Brand] = field(default_factory=dict)
    audiences: dict[str, Audience] = field(default_factory=dict)
    campaigns: dict[str, Loaded] = field(default_factory=dict)
    timelines: dict[str, Timeline] = field(default_factory=dict)
    broken: set[tuple[str, str]] = field(default_factory=set)  # (kind, name) of invalid files
    keys: dict[str, str] = field(default_factory=dict)
    generated: dict[str, Loaded] = field(default_factory=dict)  # by the campaign's name
    texts: dict[str, list[ApprovedText]] = field(default_factory=dict)  # approved, by campaign
    # the approved texts' images, by campaign: the store's key -> the file (compile copies)
    media: dict[str, dict[str, str]] = field(default_factory=dict)


def discover(paths: list[str]) -> list[FsPath]:
    files: list[FsPath] = []
    for raw in paths:
        path = FsPath(raw)
        if path.is_dir():
            files.extend(
                p for p in path.rglob("*")
                if p.suffix in SUFFIXES and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )  # fmt: skip
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{raw}: no such file or directory")
    if not files:
        raise UsageError(f"no YAML files (*.yml, *.yaml) in {' '.join(paths)}: nothing to check")
    return sorted(set(files))


def load_file(path: FsPath, cache: Cache) -> Loaded:
    name = path.as_posix()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Loaded(name, "", diagnostics=[Diagnostic(name, 1, 1, "E100", "", reason)])
    key = digest(raw)
    hit = cache.get("files", key)
    if hit is not None:
        try:
            loaded = _from_cache(name, key, hit)
            loaded.positions_source = lambda: _positions(name, key, raw, cache)
            return loaded
        except (KeyError, TypeError, ValueError):  # a damaged entry: read the file afresh
            pass
    loaded = _load_fresh(name, key, raw)
    if loaded.credentials:
        return loaded  # a file with a credential is never written to the cache
    cache.put("positions", key, loaded.positions.to_json())
    cache.put("files", key, {
        "data": loaded.data,
        "diagnostics": [[d.line, d.col, d.code, d.key, d.message] for d in loaded.diagnostics],
        "valid": loaded.model is not None,
    })  # fmt: skip
    return loaded


def _positions(name: str, key: str, raw: bytes, cache: Cache) -> Positions:
    """Positions of a cached file: from the cache, or by parsing the file again."""
    hit = cache.get("positions", key)
    if hit is not None:
        try:
            return Positions.from_json(hit)
        except (KeyError, TypeError, ValueError):
            pass
    try:
        return parse(name, decode(name, raw))[1]
    except LoadError:
        return Positions()


def _from_cache(name: str, key: str, hit: dict[str, Any]) -> Loaded:
    loaded = Loaded(name, key, hit["data"])
    loaded.diagnostics = [Diagnostic(name, *d) for d in hit["diagnostics"]]
    if hit["valid"]:
        loaded.model = KINDS[hit["data"]["kind"]].model_validate(hit["data"])
    return loaded


def _load_fresh(name: str, key: str, raw: bytes) -> Loaded:
    loaded = Loaded(name, key)
    try:
        text = decode(name, raw)
        loaded.data, loaded.positions, warnings = parse(name, text)
    except LoadError as exc:
        # A file that cannot be read as YAML is still read for credentials, line by line.
        leaked = secrets.check_text(name, raw[:MAX_BYTES].decode("utf-8", "replace"))
        loaded.diagnostics = secrets.scrub([exc.diagnostic, *leaked.diagnostics], leaked.found)
        loaded.credentials = bool(leaked.found)
        return loaded
    loaded.diagnostics.extend(warnings)
    leaked = secrets.check(name, loaded.data, loaded.positions, text)
    loaded.diagnostics.extend(leaked.diagnostics)
    _validate(loaded)
    # No message may repeat any part of a credential, however it quotes a value.
    loaded.diagnostics = secrets.scrub(loaded.diagnostics, leaked.found)
    loaded.credentials = bool(leaked.found)
    return loaded


def _validate(loaded: Loaded) -> None:
    model_cls = _kind(loaded)
    if model_cls is None:
        return
    try:
        model = model_cls.model_validate(loaded.data)
    except ValidationError as exc:
        # Where a credential was found, its E601 says it all: other messages would echo it.
        hidden = {(d.line, d.col) for d in loaded.diagnostics if d.code == "E601"}
        loaded.diagnostics.extend(
            d
            for d in errors.to_diagnostics(
                loaded.file, model_cls, loaded.data, loaded.positions, exc
            )
            if (d.line, d.col) not in hidden
        )
        return
    if not any(d.severity == "error" for d in loaded.diagnostics):
        loaded.model = model


def _kind(loaded: Loaded) -> type[Brand] | type[Audience] | type[Campaign] | type[Generated] | None:  # fmt: skip
    data = loaded.data
    if not isinstance(data, dict):
        what = errors.found(data)
        loaded.diagnostics.append(
            loaded.at((), "E110", f"expected a mapping with version, kind and name, found {what}")
        )
        return None
    kinds = ", ".join(KINDS)
    if "kind" not in data:
        loaded.diagnostics.append(
            loaded.at((), "E111", f"expected key 'kind' (one of {kinds}), found none")
        )
        return None
    kind = data["kind"]
    if (loaded.positions.value(("kind",)), "E601") in {
        ((d.line, d.col), d.code) for d in loaded.diagnostics
    }:
        return None  # a credential pasted as the kind: E601 says so, without repeating it
    if not isinstance(kind, str) or kind not in KINDS:
        hint = errors.suggest(str(kind), list(KINDS))
        loaded.diagnostics.append(
            loaded.at(
                ("kind",), "E111", f"{hint}expected one of {kinds}, found {errors.found(kind)}"
            )
        )
        return None
    return KINDS[kind]


def _kit_files(doc: Loaded) -> list[Diagnostic]:
    """E310 for a brand kit's logo or font that is not a readable file beside the brand
    file (``socialops generate`` draws the images with them)."""
    kit = doc.model.kit
    out = []
    for name in ("logo", "font"):
        value = getattr(kit, name, None) if kit is not None else None
        if value and not (FsPath(doc.file).parent / value).is_file():
            out.append(doc.at(("kit", name), "E310", f"expected the {name} file {value} beside "
                              f"{FsPath(doc.file).name}, found none"))  # fmt: skip
    return out


def load_project(paths: list[str], now: datetime, cache: Cache) -> Project:
    project = Project([load_file(p, cache) for p in discover(paths)], now)
    for doc in project.docs:
        project.diagnostics.extend(doc.diagnostics)
    valid = [doc for doc in project.docs if doc.model is not None]
    project.diagnostics.extend(references.duplicate_names(valid))
    for doc in valid:
        if doc.model.kind == "brand":
            project.diagnostics.extend(secret_names.brand_secrets(doc))
            project.diagnostics.extend(_kit_files(doc))
            project.brands.setdefault(doc.model.name, doc.model)
        elif doc.model.kind == "audience":
            project.audiences.setdefault(doc.model.name, doc.model)
        elif doc.model.kind == "generated":
            project.generated.setdefault(doc.model.name, doc)
        else:
            project.campaigns.setdefault(doc.model.name, doc)
    digests = {(d.model.kind, d.model.name): d.digest for d in valid}
    for doc in project.docs:  # files with errors still define their name: no E303/E304
        ident = _identity(doc)
        if doc.model is None and ident is not None:
            project.broken.add(ident)
            digests.setdefault(ident, doc.digest)
    for doc in project.campaigns.values():
        _check_campaign(project, doc, digests, cache)
    for name, doc in project.generated.items():
        _check_generated(project, name, doc)
    project.diagnostics = sorted(set(project.diagnostics))
    return project


def _check_generated(project: Project, name: str, doc: Loaded) -> None:
    """A generated file against its campaign (infra/checks/generated.py); the texts that
    pass are the campaign's approved ones."""
    source = project.campaigns.get(name)
    if source is None and ("campaign", name) in project.broken:
        return  # the campaign has errors of its own: checked once they are fixed
    campaign = source.model if source is not None else None
    brand = project.brands.get(campaign.brand) if campaign is not None else None
    timeline = project.timelines.get(name)
    checked = generated.check_generated(doc, campaign, project.campaigns, brand,
                                        timeline.rows() if timeline else [])  # fmt: skip
    project.diagnostics.extend(checked.diagnostics)
    project.texts[name] = checked.approved
    project.media[name] = checked.media


def _identity(doc: Loaded) -> tuple[str, str] | None:
    data = doc.data
    if (
        isinstance(data, dict)
        and isinstance(data.get("kind"), str)
        and isinstance(data.get("name"), str)
    ):
        return data["kind"], data["name"]
    return None


def _campaign_key(campaign: Campaign, doc: Loaded, digests: dict[tuple[str, str], str]) -> str:
    names = set(campaign.audiences)
    for post in campaign.posts:
        names.update(post.audiences or ())
    if campaign.budget is not None:
        names.update(campaign.budget.audiences)
    refs = {n: digests.get(("audience", n)) for n in sorted(names)}
    return digest(
        doc.file, doc.digest, str(digests.get(("brand", campaign.brand))), json.dumps(refs)
    )


def _check_campaign(
    project: Project, doc: Loaded, digests: dict[tuple[str, str], str], cache: Cache
) -> None:
    campaign: Campaign = doc.model
    key = _campaign_key(campaign, doc, digests)
    project.keys[campaign.name] = key
    hit = cache.get("campaigns", key)
    if isinstance(hit, dict) and {"diagnostics", "stamps", "last"} <= hit.keys():
        found = [Diagnostic(doc.file, *d) for d in hit["diagnostics"]]
        timeline = Timeline(hit["stamps"], hit["last"], lambda: _rows(project, doc, cache, key))
    else:
        found, occurrences = _campaign_checks(project, doc)
        timeline = Timeline.of(occurrences)
        cache.put("occurrences", key, timeline.rows())
        cache.put("campaigns", key, {
            "diagnostics": [[d.line, d.col, d.code, d.key, d.message] for d in found],
            **timeline.summary(),
        })  # fmt: skip
    project.diagnostics.extend(found)
    project.diagnostics.extend(_past(doc, timeline, project.now))
    project.timelines[campaign.name] = timeline


def _rows(project: Project, doc: Loaded, cache: Cache, key: str) -> list[dict[str, Any]]:
    """Cached occurrences of a campaign, recomputed if the cache lost them."""
    rows = cache.get("occurrences", key)
    if rows is None:
        rows = Timeline.of(_campaign_checks(project, doc)[1]).rows()
        cache.put("occurrences", key, rows)
    return list(rows)


def _campaign_checks(project: Project, doc: Loaded) -> tuple[list[Diagnostic], list[Occurrence]]:
    campaign: Campaign = doc.model
    brand = project.brands.get(campaign.brand)
    found = references.campaign_references(doc, project.brands, project.audiences, project.broken)
    found.extend(secret_names.campaign_secrets(doc))
    found.extend(content.check_campaign(doc, brand))
    found.extend(goals.check_goals(doc))
    occurrences: list[Occurrence] = []
    for index, post in enumerate(campaign.posts):
        expansion = expand(campaign, project.audiences, index, post)
        occurrences.extend(expansion.occurrences)
        seen: set[tuple[Path, str]] = set()
        for path, code, message in expansion.problems:
            if (path, code) not in seen:
                seen.add((path, code))
                found.append(doc.at(path, code, message))
    return found, sorted(occurrences)


def _past(doc: Loaded, timeline: Timeline, now: datetime) -> list[Diagnostic]:
    """W401 for each post whose every occurrence is already past."""
    now_stamp = stamp(now)
    out = []
    for index, post in enumerate(doc.model.posts):
        last = timeline.last.get(post.id)
        if last is not None and last[0] < now_stamp:
            where = "at" if post.at is not None else "every"
            local = last[1].replace("T", " ")[:16]
            out.append(doc.at(("posts", index, where), "W401", f"expected a time after now "
                              f"({now:%Y-%m-%d %H:%M} UTC), found {local} ({last[2]}): "
                              "already past, it compiles to nothing"))  # fmt: skip
    return out
