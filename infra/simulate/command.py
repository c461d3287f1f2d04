"""``socialops simulate [PATH ...] [--days N] [--seed N] [--json]``: options and output."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from infra.project import UsageError

# Nothing to simulate (every campaign ended, or no post in the days and no brand listens)
# is no fault in the files (`compile` exits 0 on them too): said, with the dates, exit 0.
EXIT_NOTHING = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="default: campaigns/")
    parser.add_argument("--days", type=int, default=7, help="days to simulate (default 7)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the injected faults")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON only")
    parser.add_argument(
        "--start", help="UTC start of the virtual clock (default: the day of the first post)"
    )
    parser.add_argument(
        "--crisis",
        default="default",
        metavar="ISO|none|default",
        help="UTC start of the listening replay's crisis (default: half-way through, at "
        "17:00 UTC; 'none' for none); outside the simulated days it is a usage error",
    )
    parser.add_argument(
        "--audience", default="one_peak", choices=("one_peak", "two_peaks", "weekend", "far_zone"),
        help="the simulated audience's shape, whose hour-of-week activity the peers' counts "
        "follow (infra/simulate/audience.py; default one_peak)",
    )  # fmt: skip
    parser.add_argument(
        "--report", default="simulate-report.html", metavar="FILE",
        help="the HTML report of the run (socialops report's, over the simulated lake) is "
        "written here (default simulate-report.html); --no-report for none",
    )  # fmt: skip
    parser.add_argument("--no-report", action="store_const", const="", dest="report",
                        help="write no report")  # fmt: skip
    parser.add_argument(
        "--faults", type=float, default=0.15,
        help="share of firings that get a fault: duplicate delivery, 429, 500 or a crash "
        "between publishing and recording (default 0.15; 0 for none)",
    )  # fmt: skip


def start_of(text: str | None) -> datetime | None:
    """``--start``: an ISO date and time (UTC unless it says), or None when not given."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--start: expected an ISO date and time, found {text!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def crisis_of(text: str) -> datetime | str | None:
    """``--crisis``: ``default`` (half-way), ``none``, or an ISO date and time."""
    if text == "default":
        return text
    if text.lower() == "none":
        return None
    try:
        moment = start_of(text)
    except UsageError:
        raise UsageError(
            f"--crisis: expected an ISO date and time or none, found {text!r}"
        ) from None
    assert moment is not None
    return moment


def _listening_text(listening: dict[str, Any] | None) -> str:
    if not listening or not listening["brands"]:
        return "listening: no brand listens on a platform with a local peer"
    keys = ("generated", "queued", "excluded", "scored", "counted", "score_failures",
            "left_in_queue", "ingest_runs", "alert_runs", "slack_messages")  # fmt: skip
    lines = [f"listening ({', '.join(listening['brands'])}): "
             + ", ".join(f"{k.replace('_', ' ')} {listening[k]}" for k in keys)]  # fmt: skip
    per = listening["per_platform"]
    lines.append("mentions per platform: " + "; ".join(
        f"{p}: generated {c.get('generated', 0)}, queued {c.get('queued', 0)}"
        for p, c in per.items()))  # fmt: skip
    crisis = listening["crisis"]
    if crisis:
        lines.append(f"crisis: {crisis['brand']} from {crisis['start']} for {crisis['hours']:g} h "
                     f"({crisis['mentions']} mentions)")  # fmt: skip
        delays = listening["first_alert_minutes_after_crisis"]
        for rule, minutes in delays.items():
            lines.append(f"  first alert {rule}: {minutes:g} min after the crisis began"
                         if minutes is not None else f"  {rule}: did not fire")  # fmt: skip
        if not delays:
            lines.append("  no alert rule of this brand is active at the crisis")
        lines += [f"  note: {note}" for note in listening["notes"]]
    for draft in listening.get("drafts", []):
        sent = f"sent {draft['sent']}" if draft["sent"] else "not sent yet"
        lines.append(f"draft for {draft['incident']}: {draft['by']}, {sent} (not published): "
                     f"{draft['statement'] or '(no statement passed)'}")  # fmt: skip
    for brand, since in listening["paused"].items():
        lines.append(f"publishing paused: {brand} since {since} (a person resumes it)")
    for problem in listening["problems"][:10]:
        lines.append(f"problem: {problem}")
    if len(listening["problems"]) > 10:
        lines.append(f"... and {len(listening['problems']) - 10} more problems")
    return "\n".join(lines)


def _engagement_text(engagement: dict[str, Any] | None) -> str:
    if not engagement or not engagement["readback_runs"]:
        return "engagement: no account to read back"
    where = engagement["audience"]
    lines = [f"engagement read back ({where['shape']} audience in {where['zone']}): "
             f"{engagement['posts_read']} posts ({engagement['backfilled']} earlier ones "
             f"backfilled), {engagement['readings']} readings in "
             f"{engagement['lake_objects']} lake objects, {engagement['readback_runs']} runs"]  # fmt: skip
    for platform, totals in engagement["per_platform"].items():
        shown = ", ".join(f"{k} {v}" for k, v in totals.items() if k != "posts")
        lines.append(f"  {platform}: {totals['posts']} posts, latest {shown}")
    for name, count in engagement["followers"].items():
        lines.append(f"  followers {name}: {count}")
    lines += [f"  stopped: {s}" for s in engagement["stopped"][:5]]
    training = engagement.get("training") or {}
    if training.get("runs"):
        latest = {t["brand"]: t for t in training["trained"]}
        lines.append(f"forecasts (optimize, {training['runs']} daily runs): "
                     f"{len(training['trained'])} trainings")  # fmt: skip
        lines += [f"  {b}: trained {t['at']} on " + ", ".join(
                  f"{n} posts ({m})" for m, n in t["posts"].items()) for b, t in sorted(latest.items())]  # fmt: skip
        lines += [f"  {b}: not trained: {why}" for b, why in training["not_trained"].items()]
    lines += _placement_text(engagement.get("placement") or {})
    if engagement["goals"]:
        lines.append("goals (measured in the lake so far):")
    lines += [f"  {_goal_text(goal)}" for goal in engagement["goals"]]
    return "\n".join(lines)


def _placement_text(placement: dict[str, Any]) -> list[str]:
    """optimize's placements of the at: auto posts: placed (explored or best), moved."""
    if not placement.get("placed") and not placement.get("moved"):
        return []
    placed, moved = placement["placed"], placement["moved"]
    lines = [f"at: auto (optimize): {len(placed)} placed, {placement['explored']} of them "
             f"explored ({placement['exploration_share']:.0%}), {len(moved)} moved"]  # fmt: skip
    for p in placed:
        how = "explored" if p["explored"] else "best"
        lines.append(f"  placed {p['campaign']}/{p['post']} on {p['channel']} at {p['at']} "
                     f"({how}; fallback {p['fallback']}, {p['zone']}), on {p['on']}")  # fmt: skip
    for m in moved:
        lines.append(f"  moved {m['campaign']}/{m['post']} on {m['channel']} from {m['from']} "
                     f"to {m['at']} on {m['on']}: {m['reason']}")  # fmt: skip
    lines += [f"  problem: {p}" for p in placement.get("problems", [])[:5]]
    return lines


def _goal_text(goal: dict[str, Any]) -> str:
    head = f"{goal['campaign']} {goal['kpi']} {goal['target']:g} by {goal['by'][:10]}: "
    value = goal["value"]
    if value is None:
        return head + ("not measurable" if "not measurable" in goal["basis"] else "nothing measured yet") + f" ({goal['basis']})"  # fmt: skip
    shown = f"{value:.4f}" if goal["kpi"] in ("engagement_rate", "ctr", "sentiment") else f"{value:,.0f}"  # fmt: skip
    share = f", {goal['progress']:.0%} of the target" if goal["progress"] is not None else ""
    met = "met" if goal["met"] else "not met yet"
    return f"{head}{shown}{share}, {met} ({goal['basis']})"


def _timeline(result: object) -> str:
    from infra.simulate.run import Result

    assert isinstance(result, Result)
    lines = [
        f"virtual clock: {result.start:%Y-%m-%d %H:%MZ} to {result.end:%Y-%m-%d %H:%MZ}, "
        f"seed {result.seed}",
        f"{'UTC':<17} {'local time':<33} {'channel':<9} {'status':<10} post",
    ]
    for line in result.lines:
        lines.append(
            f"{line.when:%Y-%m-%d %H:%MZ} {line.local:<33} {line.channel:<9} "
            f"{line.status:<10} {line.what}" + (f"  {line.detail}" if line.detail else "")
        )
    return "\n".join(lines)


def _dead_letters(summary: dict[str, Any]) -> str:
    """What the publish dead-letter queue holds: held posts wait for a person (a paused
    brand, a text not yet approved), which is no failure."""
    total, held, failed = summary["dead_lettered"], summary["held"], summary["failed"]
    if not total:
        return "dead-letter queue: empty"
    parts = [f"held {held} (awaiting a person: resume the brand or approve the text, "
             f"then redrive)", f"failed {failed}"]  # fmt: skip
    other = total - held - failed
    if other > 0:
        parts.append(f"other {other} (stale schedules, invocations Lambda gave up on)")
    return f"dead-letter queue: {total} = " + " + ".join(parts)


def _summary_text(summary: dict[str, Any]) -> str:
    s = summary
    late = f", late retries {s['late_retries']}" if s.get("late_retries") else ""
    late += f", placed firings {s['placed_fired']}" if s.get("placed_fired") else ""
    waiting = [f"waiting {s['waiting']}"] if s.get("waiting") else []
    counts = [f"schedules fired {s['schedules_fired']}",
              f"deliveries {s['deliveries']} (duplicates {s['duplicates']}, "
              f"Lambda retries {s['lambda_retries']}{late})",
              f"published {s['published']} (recovered {s['recovered']})",
              f"held for a person {s['held']}", f"skipped {s['skipped']}",
              f"failed {s['failed']}", *waiting,
              *([f"moved {s['moved']} (at: auto fallbacks that stepped aside)"] if s.get("moved") else []), f"tokens refreshed {s['tokens_refreshed']}",
              f"posts on platforms {s['posts_on_platforms']}",
              f"double posts {s['double_posts']}"]  # fmt: skip
    per = "; ".join(f"{channel}: " + ", ".join(f"{k} {v}" for k, v in counts_.items())
                    for channel, counts_ in s["channels"].items())  # fmt: skip
    injected = ", ".join(f"{k} {v}" for k, v in s["faults_injected"].items()) or "none"
    media = "; ".join(f"{channel}: " + ", ".join(f"{k} {v}" for k, v in kinds.items())
                      for channel, kinds in s.get("media_posted", {}).items())  # fmt: skip
    return "\n".join([f"summary: {', '.join(counts)}", _dead_letters(s),
                      f"per channel: {per or 'nothing fired'}",
                      f"media posted (uploaded first): {media or 'none'}",
                      f"faults injected: {injected}", *_iam_text(s["iam"])])  # fmt: skip


def _iam_text(iam: dict[str, Any]) -> list[str]:
    """What checking the functions' calls against their roles found (infra/simulate/iam.py)."""
    checked = f"IAM: {iam['checked']} calls of the functions checked against their roles"
    if not iam["refused"]:
        return [f"{checked}: none refused"]
    lines = [f"{checked}: {iam['refused']} refused, as AWS would refuse them "
             "(grant them in infra/roles.py, or make no such call):"]  # fmt: skip
    lines += [f"  {line}" for line in iam["denied"][:10]]
    if iam["refused"] > 10:
        lines.append(f"  ... and {iam['refused'] - 10} more")
    return lines


def _nothing(nothing: Any, seed: int, as_json: bool) -> int:
    """Nothing to simulate: said on stdout (with --json, the empty summary and why), exit 0."""
    from infra.simulate.run import Result

    if as_json:
        summary = Result(nothing.start, nothing.end, seed).summary()
        print(json.dumps({**summary, "nothing_to_simulate": nothing.as_json()}, sort_keys=True))
    else:
        print(nothing.text())
    return EXIT_NOTHING


def run(args: argparse.Namespace) -> int:
    from infra.simulate.progress import on_terminal
    from infra.simulate.run import SimulationError, simulate
    from infra.simulate.scope import NothingToSimulate

    if args.days < 1 or args.days > 366:
        raise UsageError(f"--days: expected 1 to 366, found {args.days}")
    if not 0 <= args.faults <= 1:
        raise UsageError(f"--faults: expected a share between 0 and 1, found {args.faults}")
    progress = on_terminal(sys.stderr, quiet=args.json)
    try:
        result = simulate(args.paths or ["campaigns/"], args.days, args.seed,
                          start_of(args.start), args.faults, crisis_of(args.crisis),
                          progress, args.audience, args.report or None)  # fmt: skip
    except NothingToSimulate as nothing:
        return _nothing(nothing, args.seed, args.json)
    except SimulationError as exc:
        print(f"socialops: simulate: {exc}", file=sys.stderr)
        return 1
    finally:
        if progress is not None:
            progress.close()
    summary = result.summary()
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(_timeline(result))
        print(_summary_text(summary))
        print(_listening_text(summary["listening"]))
        print(_engagement_text(summary["engagement"]))
        if (summary["engagement"] or {}).get("report"):
            print(f"report: {summary['engagement']['report']}")
    listening = summary["listening"] or {}
    for problem in [*summary["unaccounted"], *listening.get("unaccounted", [])]:
        print(f"socialops: simulate: lost: {problem}", file=sys.stderr)
    for problem in listening.get("problems", []):
        print(f"socialops: simulate: failed: {problem}", file=sys.stderr)
    for refused in summary["iam"]["denied"][:10]:
        print(f"socialops: simulate: refused by IAM: {refused}", file=sys.stderr)
    if summary["double_posts"]:
        print(f"socialops: simulate: {summary['double_posts']} posts went out twice",
              file=sys.stderr)  # fmt: skip
    return 0 if result.ok else 1
