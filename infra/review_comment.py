"""The pull request comment of a generation run, as Atlantis comments a terraform plan:
what the reviewers approve by merging (each text written, its variants side by side with
their forecasts and checks, the pick and why) and the schedule changes ``socialops plan``
would make.

    python -m infra.review_comment GENERATED.json [PLAN.json] [--files-url URL] > comment.md

``GENERATED.json`` is ``socialops generate --json``'s output; ``PLAN.json`` is ``socialops
plan --format json``'s (run with read-only credentials), left out or unreadable: the comment
says the plan was not read. The scheduled workflow (.github/workflows/generate.yml) posts
it. A text's image or video is linked under it, and an image shown, at ``URL/<its path>``
(``--files-url``: the pull request branch's files, e.g.
``https://github.com/OWNER/REPO/blob/BRANCH``); without it, its path in the repository.
GitHub keeps a comment under 65,536 characters: past ``MAX_CHARS`` the rest of the
texts are counted, not shown (the file in the pull request has them all).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

MAX_CHARS = 60_000


def cell(text: Any) -> str:
    """A table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|") if text is not None else ""


def _number(value: Any) -> str:
    return "" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def media_lines(item: Mapping[str, Any], files_url: str | None) -> list[str]:
    """The text's image and video: a link to each (and the image itself, where the
    pull request's files have a URL)."""
    lines = []
    for kind in ("image", "video"):
        entry = item.get(kind)
        if not entry:
            continue
        path = str(entry.get("path") or entry["file"])
        shape = entry.get("size") or f"{entry.get('seconds')} s"
        who = f", {entry['by']}" if entry.get("by") else ""
        where = f"{files_url.rstrip('/')}/{path}" if files_url else ""
        lines.append(
            f"{kind.capitalize()} ({shape}{who}): "
            + (f"[{path}]({where})" if where else f"`{path}`")
        )
        if kind == "image" and where:
            lines.append(f"![{cell(entry.get('alt', ''))}]({where}?raw=true)")
    return lines


def item_section(item: Mapping[str, Any], files_url: str | None = None) -> str:
    """One occurrence's text: a table of its variants, the chosen one first marked, then its
    image or video."""
    locale = f" ({item['locale']})" if item.get("locale") else ""
    lines = [f"**{item['campaign']} / {item['post']}**: {item['channel']}{locale}, "
             f"{item['at']} {item['timezone']}", "",
             "| | variant | P10 | P50 | P90 | viral | checks |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for variant in item["variants"]:
        mark = "chosen" if variant["text"] == item.get("chosen") else ""
        viral = variant.get("p_viral")
        lines.append("| " + " | ".join([
            mark, cell(variant["text"]), _number(variant.get("p10")), _number(variant.get("p50")),
            _number(variant.get("p90")), "" if viral is None else f"{viral:.0%}",
            cell(f"refused: {variant['refused']}" if variant.get("refused") else "passed"),
        ]) + " |")  # fmt: skip
    if not item["variants"]:
        lines.append("| | (none written) | | | | | |")
    why = item.get("why") or "; ".join(item.get("reasons") or ())
    lines += ["", f"{'Why' if item.get('chosen') else 'No text chosen'}: {cell(why)}"]
    made = media_lines(item, files_url)
    return "\n".join([*lines, *(["", *made] if made else [])])


def plan_section(plan: Mapping[str, Any] | None) -> str:
    """``socialops plan``'s changes, as its text output shows them."""
    if plan is None:
        return "The schedules' plan was not read (no read-only credentials in this run)."
    lines: list[str] = []
    for group in plan.get("groups", []):
        if group.get("action") == "delete":
            lines.append(f"- {group['group']} (campaign {group['campaign']} gone)")
            continue
        changes = [*(f"    + {n}" for n in group.get("create", [])),
                   *(f"    ~ {u['name']} ({', '.join(u['fields'])})" for u in group.get("update", [])),
                   *(f"    - {n}" for n in group.get("delete", []))]  # fmt: skip
        if changes:
            sign = "+" if group.get("action") == "create" else "~"
            lines += [f"{sign} {group['group']} ({group['campaign']})", *changes]
    lines += [f"! {c}" for c in plan.get("conflicts", [])]
    counts = plan.get("counts", {})
    summary = (f"plan (stage {plan.get('stage')}): {counts.get('create', 0)} to create, "
               f"{counts.get('update', 0)} to update, {counts.get('delete', 0)} to delete")  # fmt: skip
    body = "\n".join(lines) if lines else "no changes: the schedules match the build"
    return f"```\n{body}\n{summary}\n```"


def render(generated: Mapping[str, Any], plan: Mapping[str, Any] | None,
           files_url: str | None = None) -> str:  # fmt: skip
    items: Sequence[Mapping[str, Any]] = generated.get("items", [])
    written = [i for i in items if not i.get("kept")]
    missing = [i for i in written if not i.get("chosen")]
    head = [f"### socialops generate: {len(written)} texts to review "
            f"({generated.get('provider')}, {generated.get('model')})", "",
            "Merging this pull request approves every chosen text below; edit one in the "
            "file if you like (validate checks it again). "
            + (f"**{len(missing)} occurrences have no text** and will be held until one is "
               "written." if missing else "Every occurrence has a text.")]  # fmt: skip
    tail = ["", "#### Schedule changes", "", plan_section(plan)]
    sections: list[str] = []
    size = sum(len(line) + 1 for line in head + tail)
    for section in (item_section(i, files_url) for i in written):
        if size + len(section) > MAX_CHARS:
            sections.append(f"... and {len(written) - len(sections)} more texts: see the "
                            "file in this pull request.")  # fmt: skip
            break
        sections.append(section)
        size += len(section) + 2
    return "\n".join([*head, "", "\n\n".join(sections) if sections else "No new text.", *tail]) + "\n"  # fmt: skip


def _read(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    files_url = None
    if "--files-url" in args:
        at = args.index("--files-url")
        files_url = args[at + 1] if at + 1 < len(args) else None
        del args[at : at + 2]
    if not 1 <= len(args) <= 2 or ("--files-url" in argv and not files_url):
        print("usage: python -m infra.review_comment GENERATED.json [PLAN.json] "
              "[--files-url URL]", file=sys.stderr)  # fmt: skip
        return 2
    argv = args
    generated = _read(argv[0])
    if not isinstance(generated, dict):
        print(f"review_comment: {argv[0]} is not socialops generate --json output", file=sys.stderr)
        return 2
    plan = _read(argv[1]) if len(argv) == 2 else None
    sys.stdout.write(render(generated, plan if isinstance(plan, dict) else None, files_url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
