"""The ``socialops`` command line (ARCHITECTURE.md: keep it stable).

Exit codes: 0 valid, 1 invalid (problems in the files), 2 usage, 3 internal error.
Never a traceback: a bug in socialops itself is reported in one line with exit 3.
``socialops`` alone prints the help on stderr and exits 2 (a usage mistake: no command);
``socialops --version`` prints the installed package's version and exits 0.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from infra.cache import Cache
from infra.diagnostics import has_errors, render
from infra.project import Project, UsageError, load_project
from schema.names import suggestion

DEFAULT_PATHS = ["campaigns/"]
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "socialops.schema.json"


_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<word>[^']*)' \(choose from (?P<choices>.*)\)$")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        match = _INVALID_CHOICE.search(message)
        if match:  # argparse's list of choices, with the nearest one first
            choices = [c.strip(" '") for c in match["choices"].split(",")]
            hint = suggestion(match["word"], choices)
            message = (f"{message.split(':')[0]}: {hint}expected one of {', '.join(choices)}, "
                       f"found {match['word']!r}")  # fmt: skip
        raise UsageError(message)


def version() -> str:
    """The installed package's version (``pip install -e .`` or a wheel)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("socialops")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed: run `make setup` or `pip install -e .`)"


def _now(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"--now: expected an ISO date and time, found {text!r}") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _project(args: argparse.Namespace) -> Project:
    cache_dir = None if args.no_cache else Path(args.cache_dir)
    return load_project(args.paths or DEFAULT_PATHS, _now(args.now), Cache(cache_dir))


def _valid_project(args: argparse.Namespace, refused: str) -> Project | None:
    """The project, its diagnostics on stderr; None when it has errors (``refused`` says
    what was not done, after the count)."""
    project = _project(args)
    if project.diagnostics:
        print(render(project.diagnostics, "text"), file=sys.stderr)
    if has_errors(project.diagnostics):
        print(f"{_summary(project)}; {refused}", file=sys.stderr)
        return None
    return project


def _summary(project: Project) -> str:
    errors = sum(d.severity == "error" for d in project.diagnostics)
    warnings = len(project.diagnostics) - errors
    files = len(project.docs)
    return f"{files} file{'s' * (files != 1)}: {errors} error{'s' * (errors != 1)}, " \
        f"{warnings} warning{'s' * (warnings != 1)}"  # fmt: skip


def cmd_validate(args: argparse.Namespace) -> int:
    project = _project(args)
    output = render(project.diagnostics, args.format)
    if output:
        print(output)
    if args.format == "text":
        print(_summary(project), file=sys.stderr)
    return 1 if has_errors(project.diagnostics) else 0


def cmd_compile(args: argparse.Namespace) -> int:
    from infra.compiler import compile_project
    from infra.stack import StackLimitError

    project = _valid_project(args, "nothing compiled")
    if project is None:
        return 1
    out = Path(args.out)
    try:
        result = compile_project(project, out)
    except StackLimitError as exc:
        print(f"socialops: cannot compile: {exc}", file=sys.stderr)
        return 1
    finished = f", {len(result.finished)} finished" if result.finished else ""
    print(
        f"compiled {result.campaigns} campaign{'s' * (result.campaigns != 1)}{finished} and "
        f"{result.schedules} schedule{'s' * (result.schedules != 1)} into {out}/ "
        f"({len(result.written)} written, {result.unchanged} unchanged, "
        f"{len(result.removed)} removed)"
    )
    return 0


def json_schema() -> dict[str, object]:
    from pydantic import TypeAdapter

    from schema.documents import AnyDocument

    document = TypeAdapter(AnyDocument).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://socialops.dev/schema/socialops.schema.json",
        "title": "socialops campaign language (brand, audience, campaign)",
        **document,
    }


def cmd_schema(args: argparse.Namespace) -> int:
    if args.format == "markdown":  # the field reference, docs/fields.md
        from infra.fields import render as field_reference

        text = field_reference(json_schema())
    else:
        text = json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from infra.deploy.command import run

    return run(args, deploy=False)


def cmd_pause(args: argparse.Namespace) -> int:
    from infra.pausing import run

    return run(args, pausing=True)


def cmd_resume(args: argparse.Namespace) -> int:
    from infra.pausing import run

    return run(args, pausing=False)


def cmd_deploy(args: argparse.Namespace) -> int:
    from infra.deploy.command import run

    return run(args, deploy=True)


def cmd_simulate(args: argparse.Namespace) -> int:
    from infra.simulate.command import run

    return run(args)


def cmd_report(args: argparse.Namespace) -> int:
    from infra.report.command import run

    project = _valid_project(args, "no report written")
    return 1 if project is None else run(args, project)


REGENERATED = {"E311", "E312", "E313"}  # a generated file's errors generate fixes


def cmd_generate(args: argparse.Namespace) -> int:
    from infra.generate_cmd import run

    project = _project(args)
    generated = {doc.file for doc in project.generated.values() if doc.model is not None}
    blocking = [d for d in project.diagnostics
                if d.severity == "error" and not (d.path in generated and d.code in REGENERATED)]  # fmt: skip
    if blocking:
        print(render(project.diagnostics, "text"), file=sys.stderr)
        print(f"{_summary(project)}; nothing generated", file=sys.stderr)
        return 1
    return run(args, project)


def cmd_train(args: argparse.Namespace) -> int:
    from infra.train import run

    return run(args)


def cmd_sentiment(args: argparse.Namespace) -> int:
    from infra.sentiment_cmd import run_sentiment

    return run_sentiment(args)


def cmd_history(args: argparse.Namespace) -> int:
    from infra.history import run

    return run(args)


def cmd_detect(args: argparse.Namespace) -> int:
    from functions.alert.detector import VOLUME, score_series
    from infra.series import BadSeries, read_series

    # Bytes that are not UTF-8 are kept as surrogates (surrogateescape) so that read_series
    # reports them at their line: "name:line: not UTF-8 text", exit 1, for files and stdin.
    # Rows out of time order are scored all the same, one output row per input row (a row
    # earlier than one before it without updating the detector), each run of them told on
    # stderr as "name:line: warning: ...", exit 0.
    name = "<stdin>" if args.file == "-" else args.file
    notes: list[str] = []
    try:
        binary = getattr(sys.stdin, "buffer", None) if args.file == "-" else None
        if args.file == "-" and binary is None:  # a text stream without bytes (tests)
            rows = read_series(sys.stdin, name, notes)
        elif binary is not None:
            stream = io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape", newline="")  # fmt: skip
            try:
                rows = read_series(stream, name, notes)
            finally:
                stream.detach()  # leave sys.stdin's buffer open
        else:
            with open(args.file, encoding="utf-8", errors="surrogateescape", newline="") as handle:  # fmt: skip
                rows = read_series(handle, name, notes)
    except OSError as exc:
        print(f"{name}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except BadSeries as exc:
        print(str(exc), file=sys.stderr)
        return 1
    for note in notes:
        print(note, file=sys.stderr)
    params = VOLUME if args.bursts else None
    scores = score_series([row[2] for row in rows], [row[3] for row in rows], params)
    out = ["timestamp,value,anomaly_score"]
    out += [f"{row[0]},{row[1]},{score:.6f}" for row, score in zip(rows, scores, strict=True)]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    from infra.forecast_cmd import run

    return run(args)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (campaigns/)")
    parser.add_argument("--now", help="the present, ISO 8601 (default: the clock); for tests")
    parser.add_argument("--cache-dir", default=".socialops-cache", help="digest cache folder")
    parser.add_argument("--no-cache", action="store_true", help="read every file afresh")


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="socialops", description="Social media campaigns as code.",
        epilog="Exit codes: 0 done (valid), 1 problems found (in the files, or AWS refused), "
        "2 usage mistake (this help, a bad option, missing AWS configuration), 3 a bug in "
        "socialops. `socialops COMMAND --help` describes each command.",
    )  # fmt: skip
    top.add_argument("--version", action="version", version=f"socialops {version()}")
    sub = top.add_subparsers(
        dest="command", title="commands", metavar="COMMAND", parser_class=_Parser
    )
    validate = sub.add_parser("validate", help="check every file, report every mistake")
    _add_common(validate)
    validate.add_argument("--format", choices=("text", "json", "github"), default="text")
    validate.set_defaults(func=cmd_validate)
    comp = sub.add_parser("compile", help="validate, then write build/")
    _add_common(comp)
    comp.add_argument("--out", default="build", help="output folder (build)")
    comp.set_defaults(func=cmd_compile)
    schema = sub.add_parser(
        "schema", help="print the JSON Schema of the language, or its field reference",
        description="The language's JSON Schema (for editors: schema/socialops.schema.json), "
        "or with --format markdown its field reference for people (docs/fields.md: every "
        "key of every kind, its type, whether it is required, its default, allowed values "
        "and meaning). Both come from the models.",
    )  # fmt: skip
    schema.add_argument("--format", choices=("json", "markdown"), default="json",
                        help="json: the JSON Schema; markdown: the field reference")  # fmt: skip
    schema.add_argument("--out", help="write to this file instead of standard output")
    schema.set_defaults(func=cmd_schema)
    from infra.deploy.options import add_arguments

    plan = sub.add_parser("plan", help="show what deploy would change in the schedules")
    add_arguments(plan)
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.set_defaults(func=cmd_plan)
    deploy = sub.add_parser("deploy", help="reconcile the schedules with build/")
    add_arguments(deploy)
    deploy.set_defaults(func=cmd_deploy)
    from infra.pausing import add_arguments as pause_arguments

    pause_cmd = sub.add_parser("pause", help="pause a brand's publishing")
    pause_arguments(pause_cmd, pausing=True)
    pause_cmd.set_defaults(func=cmd_pause)
    resume_cmd = sub.add_parser("resume", help="resume a brand's publishing")
    pause_arguments(resume_cmd, pausing=False)
    resume_cmd.set_defaults(func=cmd_resume)
    from infra.simulate.command import add_arguments as simulate_arguments

    simulate = sub.add_parser("simulate", help="run everything locally on a virtual clock")
    simulate_arguments(simulate)
    simulate.set_defaults(func=cmd_simulate)
    from infra.report.command import add_arguments as report_arguments

    report = sub.add_parser(
        "report", help="write one HTML report of the campaigns from the data lake",
        description="One static HTML file (plots embedded, no script, nothing fetched when "
        "it opens) about each campaign at PATH, validated as `validate` does: each post's "
        "engagement against its forecast band, engagement by hour of the week per platform, "
        "each goal's progress against its target, and the listening timeline with the alert "
        "incidents and the publishing pauses. The lake is the stack's RawMentionsBucketName "
        "output (socialops-<stage>) or --bucket; the incidents and pauses are the stack's "
        "AlertIncidentsTableName and PauseFlagsTableName outputs, where it has them. The "
        "same lake, files and --now give the same file.",
    )  # fmt: skip
    _add_common(report)
    report_arguments(report)
    report.set_defaults(func=cmd_report)
    from infra.generate_cmd import add_arguments as generate_arguments

    generate = sub.add_parser(
        "generate", help="write caption variants for posts with a brief, for review",
        description="For each coming occurrence of a post with a `generate` brief, write "
        "the rule's variants per channel and locale, check each with the guardrails, rank "
        "those that pass by their engagement forecast and choose the best, into "
        "<campaign>.generated.yml next to the campaign. Merging the pull request that holds "
        "it approves the chosen texts; validate checks them, compile builds them in, publish "
        "posts only those. Exit 0 every occurrence has a chosen text, 1 some has none (or the "
        "files have errors), 2 usage.",
    )  # fmt: skip
    _add_common(generate)
    generate_arguments(generate)
    generate.set_defaults(func=cmd_generate)
    train = sub.add_parser(
        "train", help="train the sentiment and emotion model",
        description="Retrain the one sentiment and emotion model every brand shares. It "
        "trains on TweetEval (Barbieri et al., EMNLP 2020: English tweets labelled negative, "
        "neutral or positive, and anger, joy, optimism or sadness), which socialops does not "
        "ship: download it from https://github.com/cardiffnlp/tweeteval and name with --data "
        "the folder that holds sentiment/ and emotion/ (its datasets/ folder), or a folder "
        "with tweeteval/ in it; each has train_text.txt and train_labels.txt (one text, one "
        "label number a line) and, for the validation figures, val_text.txt and "
        "val_labels.txt. Optionally it adds a "
        "brand's labelled mentions (--brand-data). It says on stderr which data it read, and "
        "prints them in its JSON summary ('data') with the validation figures next to the "
        "shipped model's; it warns when the new model is worse. The default --out overwrites "
        "the shipped weights (functions/score/weights), which the next deploy packages with "
        "the score function.",
    )  # fmt: skip
    train.add_argument("--data", required=True, metavar="DIR", help="the TweetEval folder: sentiment/ and emotion/, or a folder with tweeteval/ (not shipped: https://github.com/cardiffnlp/tweeteval)")  # fmt: skip
    train.add_argument("--brand-data", help="a brand's labelled mentions: CSV with a text,label header, or JSON Lines of {\"text\", \"label\"}; labels negative, neutral, positive, anger, joy, optimism, sadness")  # fmt: skip
    train.add_argument("--out", help="where the weights go (default: functions/score/weights, the shipped model)")  # fmt: skip
    train.add_argument("--bits", type=int, default=18, help="hash bits per feature group, 8 to 22 (18)")  # fmt: skip
    train.add_argument("--fast-only", action="store_true", help="train the fast path only, not the accurate heads that read the sentence encoder (a few more minutes); the model written then has no accurate path, and brands that chose it are scored on the fast one, with an error logged")  # fmt: skip
    train.set_defaults(func=cmd_train)
    sentiment = sub.add_parser(
        "sentiment", help="score texts, one a line, as JSON lines",
        description="One text a line in, one JSON object a line out, in order, streamed: "
        "each line read is answered without waiting for the end of the input. A text "
        "longer than 5,000 characters is scored on its first 5,000, as the deployed score "
        "function does; bytes that are not UTF-8 are replaced (U+FFFD) so that every line "
        "still gets its answer. stderr names each such line: 'FILE:LINE: text longer than "
        "...' or 'FILE:LINE: not UTF-8, undecodable bytes replaced'.",
    )  # fmt: skip
    sentiment.add_argument("file", nargs="?", default="-", metavar="FILE", help="a file or - (stdin)")  # fmt: skip
    sentiment.add_argument("--model", help="a folder of weights (default: $SOCIALOPS_MODEL_DIR, else the shipped model)")  # fmt: skip
    paths = sentiment.add_mutually_exclusive_group()
    paths.add_argument("--path", choices=("fast", "balanced", "accurate"), default="balanced", help="the scoring path, as a brand's listening.sentiment: fast (the linear model alone), balanced (default: the sentence encoder too for the texts the linear model is least sure of, about one in twenty) or accurate (the encoder for every text: better on unseen topics, hundreds of texts a second a core instead of thousands)")  # fmt: skip
    paths.add_argument("--accurate", action="store_const", const="accurate", dest="path", help="the same as --path accurate")  # fmt: skip
    sentiment.set_defaults(func=cmd_sentiment)
    detect = sub.add_parser(
        "detect", help="anomaly scores of a timestamp,value CSV series",
        description="Reads a timestamp,value CSV (UTF-8) and writes timestamp,value,"
        "anomaly_score; 0.5 and above is an alert. Bad input (not UTF-8, an unclosed quote, "
        "a field over 131,072 characters, a value that is not a number) is reported as "
        "FILE:LINE: message, exit 1. Every row gets its output row: a row earlier than one "
        "before it is scored without updating the detector, and each run of them is told "
        "on stderr as FILE:LINE: warning: ... (exit 0).",
    )  # fmt: skip
    detect.add_argument("file", metavar="FILE", help="a CSV file with timestamp,value, or - (stdin)")  # fmt: skip
    detect.add_argument("--bursts", action="store_true",
                        help="score bursts only, as the alert function's volume rules do")  # fmt: skip
    detect.set_defaults(func=cmd_detect)
    from infra.forecast_cmd import add_arguments as forecast_arguments

    forecast = sub.add_parser(
        "forecast", help="forecast posts' engagement from a history, with intervals",
        description="Learns from HISTORY (each account's own posts, shrunk toward all "
        "accounts' when its history is short) and prints one JSON object a line per POSTS "
        "row, in order: {\"p10\": n, \"p50\": n, \"p90\": n, \"p_viral\": p}, engagement "
        "being likes + shares + comments (P10-P90: an 80%% interval) and p_viral the "
        "probability that it is above k times the median engagement of that account's "
        "HISTORY rows; an account absent from HISTORY gets the pooled model. Both files "
        "are UTF-8 CSV with a header naming account,created_at,text,likes,shares,comments,"
        "followers,media (any order): created_at ISO 8601 with its zone (the local hour "
        "counts), counts whole numbers (may be empty in POSTS, and are never read there), "
        "followers a whole number or empty, media none, image, video, album or empty. Bad "
        "rows: FILE:LINE: message on stderr, exit 1. Deterministic.",
    )  # fmt: skip
    forecast_arguments(forecast)
    forecast.set_defaults(func=cmd_forecast)
    from infra.history import add_arguments as history_arguments

    history = sub.add_parser(
        "history", help="import older engagement history into the data lake",
        description="Older posts and their counts, exported by hand, into the data lake "
        "beside what the read-back writes: `socialops history import FILE.csv --brand B "
        "--platform P` (`socialops history import --help` describes the file).",
    )  # fmt: skip
    history_arguments(history)
    history.set_defaults(func=cmd_history)
    return top


def _parse(argv: Sequence[str] | None) -> argparse.Namespace | int:
    """The parsed arguments, or the exit code of ``--help``, ``--version`` or no command."""
    top = parser()
    try:
        args = top.parse_args(argv)
    except SystemExit as exc:  # --help and --version print, then exit 0
        return exc.code if isinstance(exc.code, int) else 0
    if args.command is None:  # `socialops` alone: say what it can do, as a usage mistake
        print("socialops: expected a command, found none\n", file=sys.stderr)
        top.print_help(sys.stderr)
        return 2
    return args


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parse(argv)
        if isinstance(args, int):
            return args
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except UsageError as exc:
        print(f"socialops: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # never a traceback for the user; say what broke
        print(f"socialops: internal error: {type(exc).__name__}: {exc} "
              "(this is a bug in socialops; please report it with the file that caused it)",
              file=sys.stderr)  # fmt: skip
        if os.environ.get("SOCIALOPS_DEBUG"):
            raise
        return 3


if __name__ == "__main__":
    sys.exit(main())
