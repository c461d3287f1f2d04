"""``socialops compile``: write ``build/`` deterministically (ARCHITECTURE.md section 3).

Layout::

    build/manifest.json                 versions, input digests, campaigns, output digests
    build/config/<campaign>.json        RuntimeConfig: campaign + brand + audiences, resolved
    build/schedules/<campaign>.json     desired schedules: one per channel and occurrence
    build/serverless/functions.json     the fixed functions and their event wiring
    build/serverless/resources.json     durable resources (tables, queues, topics, bucket)
    build/media/generated/<sha256>.png  the approved texts' images, PNG or JPEG (deploy puts them in the
                                        data bucket under the same key)

Same input, same bytes: sorted keys, no timestamps. Only occurrences still to come are
compiled; a campaign with none left compiles to nothing. Unchanged campaigns are not
re-rendered (their cache key and remaining occurrences match the previous manifest), and
files whose bytes did not change are not rewritten.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from functions.common.readback import stamp
from infra import stack
from infra.occurrences import Occurrence, between_utc, window_utc
from infra.project import Project
from schema.base import LANGUAGE_VERSION
from schema.campaign import Campaign
from schema.documents import BUILD_SCHEMA_VERSION, AutoPost, RuntimeConfig

TOOL_VERSION = "0.1.0"
GROUP_PREFIX = "socialops"


def dumps(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@dataclass
class CompileResult:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    campaigns: int = 0
    finished: list[str] = field(default_factory=list)
    schedules: int = 0


def schedule_entry(campaign: str, occ: Occurrence) -> dict[str, Any]:
    when = occ.utc.strftime("%Y-%m-%dT%H:%M:%S")
    return {
        "name": occ.name,
        "expression": f"at({when})",
        "timezone": "UTC",
        "local_time": occ.local.strftime("%Y-%m-%dT%H:%M:%S"),
        "local_timezone": occ.tz,
        "audiences": list(occ.audiences),
        "source": occ.source,
        "payload": {
            "campaign": campaign,
            "post": occ.post,
            "channel": occ.channel,
            "locale": occ.locale,
            "scheduled_for": when + "Z",
        },
    }


def _schedules_doc(campaign: str, future: list[Occurrence]) -> dict[str, Any]:
    return {
        "schema_version": BUILD_SCHEMA_VERSION,
        "campaign": campaign,
        "group": f"{GROUP_PREFIX}-{campaign}",
        "schedules": [schedule_entry(campaign, o) for o in future],
    }


def config_doc(project: Project, name: str) -> RuntimeConfig:
    """A campaign with its brand, audiences and approved generated texts resolved: what
    ``build/config/<campaign>.json`` holds (and what the report and generate read)."""
    campaign = project.campaigns[name].model
    wanted = set(campaign.audiences)
    for post in campaign.posts:
        wanted.update(post.audiences or ())
    return RuntimeConfig(
        schema_version=BUILD_SCHEMA_VERSION,
        language_version=LANGUAGE_VERSION,
        campaign=campaign,
        brand=project.brands[campaign.brand],
        audiences={n: project.audiences[n] for n in sorted(wanted) if n in project.audiences},
        texts=project.texts.get(name, []),
        **_placing(campaign, project.timelines[name].rows()),
    )


def _placing(campaign: Campaign, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``auto`` occurrences optimize places, and the other occurrences per channel
    (``occupied``) it keeps them apart from."""
    posts = {p.id: p for p in campaign.posts}
    auto: list[AutoPost] = []
    occupied: dict[str, list[str]] = {}
    for row in rows:
        if row["source"] != "auto":
            occupied.setdefault(str(row["channel"]), []).append(str(row["utc"]))
            continue
        start, end = between_utc(campaign, posts[str(row["post"])], str(row["tz"]))
        auto.append(AutoPost(
            post=str(row["post"]), channel=row["channel"], locale=row["locale"] or None,
            scheduled_for=str(row["utc"]), timezone=str(row["tz"]),
            audiences=list(row["audiences"]), earliest=stamp(start), latest=stamp(end),
        ))  # fmt: skip
    return {"auto": auto, "occupied": {c: sorted(t) for c, t in sorted(occupied.items())}}


def _previous(out: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((out / "manifest.json").read_bytes())
        return manifest if manifest.get("schema_version") == BUILD_SCHEMA_VERSION else {}
    except (OSError, ValueError):
        return {}


def compile_project(project: Project, out: Path) -> CompileResult:
    result = CompileResult()
    before = _previous(out)
    old_outputs: dict[str, str] = before.get("outputs", {})
    old_campaigns: dict[str, Any] = before.get("campaigns", {})
    files: dict[str, bytes | None] = {}  # None: unchanged and already on disk
    campaigns: dict[str, Any] = {}
    configs: dict[str, RuntimeConfig] = {}
    for name in sorted(project.campaigns):
        timeline = project.timelines[name]
        count = timeline.future_count(project.now)
        if window_utc(project.campaigns[name].model)[1] < project.now:
            result.finished.append(name)
            continue
        entry = {"key": project.keys[name], "schedules": count}
        if name in project.generated:  # its approved texts go into the config
            entry["texts"] = project.generated[name].digest
        paths = (f"config/{name}.json", f"schedules/{name}.json")
        reuse = old_campaigns.get(name) == entry and all(
            p in old_outputs and (out / p).is_file() for p in paths
        )
        config = config_doc(project, name)
        configs[name] = config
        if reuse:
            files.update(dict.fromkeys(paths))
        else:
            files[paths[0]] = dumps(config.model_dump(mode="json"))
            files[paths[1]] = dumps(_schedules_doc(name, timeline.future(project.now)))
        campaigns[name] = entry
        result.schedules += count
        for key, source in sorted(project.media.get(name, {}).items()):
            files[key] = Path(source).read_bytes()  # checked against its digest by validate
    functions, resources = stack.build(configs)
    files["serverless/functions.json"] = dumps(functions)
    files["serverless/resources.json"] = dumps(resources)
    outputs = {p: (old_outputs[p] if raw is None else sha(raw)) for p, raw in files.items()}
    manifest = {
        "schema_version": BUILD_SCHEMA_VERSION,
        "language_version": LANGUAGE_VERSION,
        "socialops_version": TOOL_VERSION,
        "inputs": {d.file: d.digest for d in project.docs},
        "campaigns": campaigns,
        "finished": result.finished,
        "outputs": outputs,
    }
    files["manifest.json"] = dumps(manifest)
    _write(out, files, old_outputs, result)
    result.campaigns = len(campaigns)
    return result


def _same(rel: str, target: Path, raw: bytes, old_digest: str | None) -> bool:
    """The file on disk already holds ``raw``: known from the previous manifest, or, for
    the manifest itself, read back."""
    if rel == "manifest.json":
        try:
            return target.read_bytes() == raw
        except OSError:
            return False
    return old_digest == sha(raw) and target.is_file()


def _write(
    out: Path, files: dict[str, bytes | None], old: dict[str, str], result: CompileResult
) -> None:
    for rel, raw in sorted(files.items()):
        target = out / rel
        if raw is None or _same(rel, target, raw, old.get(rel)):
            result.unchanged += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_bytes(raw)
        tmp.replace(target)
        result.written.append(rel)
    for folder, pattern in (("config", "*.json"), ("schedules", "*.json"),
                            ("media/generated", "*.png"), ("media/generated", "*.jpg"),
                            ("media/generated", "*.mp4")):  # fmt: skip
        for stale in sorted((out / folder).glob(pattern)) if (out / folder).is_dir() else []:
            rel = f"{folder}/{stale.name}"
            if rel not in files:
                stale.unlink()
                result.removed.append(rel)
