"""The streaming volume-anomaly detector and ``socialops detect`` (no ../shared needed)."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from functions.alert.detector import ALERT, VOLUME, Detector, Params, score_series
from infra.cli import main

START = datetime(2015, 3, 2, tzinfo=UTC)  # a Monday
STEP = timedelta(minutes=5)
BURST = 10 * 288 + 150  # day 10, 12:30
BURST_LEN = 36  # three hours


def series(days: int = 14, burst: int | None = BURST, seed: int = 7) -> tuple[list[datetime], list[float]]:  # fmt: skip
    rng = random.Random(seed)
    moments, values = [], []
    for i in range(days * 288):
        moment = START + i * STEP
        hour = moment.hour + moment.minute / 60
        weekly = 0.6 if moment.weekday() >= 5 else 1.0
        rate = 60 * weekly * (1.0 + 0.6 * math.sin(2 * math.pi * (hour - 9) / 24))
        if burst is not None and burst <= i < burst + BURST_LEN:
            rate *= 4
        # Poisson-like noise without numpy: normal approximation, rounded
        values.append(max(0.0, round(rng.gauss(rate, math.sqrt(rate)))))
        moments.append(moment)
    return moments, values


def test_scores_in_unit_interval_and_warmup_zero() -> None:
    moments, values = series()
    scores = score_series(moments, values)
    assert len(scores) == len(values)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert all(s == 0.0 for s in scores[:288])  # a day of warm-up


def test_causal_appending_future_points_changes_nothing() -> None:
    moments, values = series()
    full = score_series(moments, values)
    for cut in (500, BURST + 5, len(values) - 100):
        assert score_series(moments[:cut], values[:cut]) == full[:cut]
    other = values[:BURST] + [v * 10 for v in values[BURST:]]
    assert score_series(moments, other)[:BURST] == full[:BURST]


def test_burst_alerts_near_it_and_nowhere_else() -> None:
    # mention volume, as the alert function's volume rules score it (bursts only)
    moments, values = series()
    scores = score_series(moments, values, VOLUME)
    alerts = [i for i, s in enumerate(scores) if s >= ALERT]
    assert alerts, "the burst raised no alert"
    assert all(BURST <= i < BURST + BURST_LEN for i in alerts), alerts
    assert alerts[0] - BURST <= 12  # within an hour


def test_no_alert_without_burst() -> None:
    moments, values = series(burst=None)
    assert max(score_series(moments, values, VOLUME)) < ALERT


def test_one_alert_per_incident() -> None:
    moments, values = series()
    # a long incident: ten hours of quadruple volume
    values = [v * 4 if BURST <= i < BURST + 120 else v for i, v in enumerate(values)]
    scores = score_series(moments, values, VOLUME)
    assert sum(s >= ALERT for s in scores) == 1


def test_streaming_equals_batch_and_is_deterministic() -> None:
    moments, values = series()
    detector = Detector()
    streamed = [detector.update(m, v) for m, v in zip(moments, values, strict=True)]
    assert streamed == score_series(moments, values) == score_series(moments, values)
    epoch = [m.timestamp() for m in moments]
    assert score_series(epoch, values) == streamed


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "series.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    moments, values = series()
    text = "timestamp,value\n" + "".join(
        f"{m.strftime('%Y-%m-%d %H:%M:%S')},{int(v)}\n"
        for m, v in zip(moments, values, strict=True)
    )
    path = _write(tmp_path, text)
    assert main(["detect", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "timestamp,value,anomaly_score"
    assert len(out) == len(values) + 1
    rows = [line.split(",") for line in out[1:]]
    assert [r[0] for r in rows] == [m.strftime("%Y-%m-%d %H:%M:%S") for m in moments]
    assert [float(r[1]) for r in rows] == values
    scores = [float(r[2]) for r in rows]
    expected = score_series(moments, values)
    assert all(abs(a - b) < 1e-6 for a, b in zip(scores, expected, strict=True))
    assert any(s >= ALERT for s in scores)


def test_cli_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("timestamp,value\n2015-03-02 00:00:00,4\n"))
    assert main(["detect", "-"]) == 0
    assert capsys.readouterr().out == "timestamp,value,anomaly_score\n2015-03-02 00:00:00,4,0.000000\n"  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", ":1: empty file"),
        ("time,value\n2015-03-02 00:00:00,4\n", ":1: missing column timestamp"),
        ("timestamp,count\n2015-03-02 00:00:00,4\n", ":1: missing column value"),
        (
            "timestamp,value\n2015-03-02 00:00:00,4\n2015-03-02 00:05:00,many\n",
            ":3: value 'many' is not a number",
        ),
        ("timestamp,value\n2015-03-02 00:00:00,4\nyesterday,5\n", ":3: timestamp 'yesterday'"),
        ("timestamp,value\n2015-03-02 00:00:00,nan\n", ":2: value 'nan' is not a finite"),
        ("timestamp,value\n2015-03-02 00:00:00\n", ":2: expected 2 fields"),
    ],
)
def test_cli_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = _write(tmp_path, text)
    assert main(["detect", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{path}{message}"), captured.err
    assert "Traceback" not in captured.err


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(tmp_path / "nope.csv")]) == 1
    assert "cannot read" in capsys.readouterr().err


# ---- regressions: CSV limits, quotes and bytes that are not UTF-8 -----------------------


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_cli_field_over_the_csv_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import csv

    limit = csv.field_size_limit()
    path = tmp_path / "big.csv"
    path.write_text("timestamp,value\n2020-01-01 00:00," + "1" * 200_000 + "\n", encoding="utf-8")  # fmt: skip
    assert main(["detect", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{path}:2: field too long (200,000 characters; the limit is 131,072)\n"  # fmt: skip
    assert csv.field_size_limit() == limit  # restored


def test_cli_field_over_the_hard_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("infra.series.FIELD_HARD_LIMIT", 150_000)
    path = tmp_path / "big.csv"
    path.write_text("timestamp,value\n2020-01-01 00:00,1\n,\"" + "1" * 200_000 + "\"\n", encoding="utf-8")  # fmt: skip
    assert main(["detect", str(path)]) == 1
    assert capsys.readouterr().err == f"{path}:3: field too long (over 150,000 characters; the limit is 131,072)\n"  # fmt: skip


def test_cli_unclosed_quote_points_at_its_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, b'timestamp,value\n"2020-01-01 00:00,1\n2020-01-01 00:05,2\n')
    assert main(["detect", "-"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("<stdin>:2: unclosed quote starting on line 2"), captured.err


def test_cli_stray_quote_is_refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    _stdin(monkeypatch, b'timestamp,value\n2020-01-01 00:00,"1"5\n')
    assert main(["detect", "-"]) == 1
    assert capsys.readouterr().err.startswith("<stdin>:2: not valid CSV: ")


def test_cli_lines_counted_across_quoted_line_breaks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = b'\n\ntimestamp,value,note\r\n2020-01-01 00:00,1,"two\nlines"\r\n2020-01-01 00:05,x,\n'
    _stdin(monkeypatch, text)
    assert main(["detect", "-"]) == 1
    assert capsys.readouterr().err.startswith("<stdin>:6: value 'x' is not a number")


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_cli_not_utf8_names_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    data = b"timestamp,value\n2020-01-01 00:00,1\n2020-01-01 00:05,\xff2\n"
    if source == "file":
        name = str(tmp_path / "series.csv")
        Path(name).write_bytes(data)
    else:
        name = "-"
        _stdin(monkeypatch, data)
    assert main(["detect", name]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{'<stdin>' if name == '-' else name}:3: not UTF-8 text\n"


# ---- issue 12: drops, values of any sign, rows out of time order, older states ----------


def test_a_drop_scores_by_default_but_not_for_the_volume_rules() -> None:
    moments, values = series(burst=None)
    values = [v / 8 if BURST <= i < BURST + BURST_LEN else v for i, v in enumerate(values)]
    generic = score_series(moments, values)
    assert any(s >= ALERT for s in generic[BURST : BURST + BURST_LEN])
    assert max(score_series(moments, values, VOLUME)[BURST : BURST + BURST_LEN]) < ALERT


def test_negative_values_are_scored_not_clipped_to_zero() -> None:
    # a series of negative values (a temperature below zero, a balance): the old detector
    # read every value below 0 as 0 and saw nothing
    moments, values = series(burst=None)
    values = [-(v + 100) for v in values]
    values[BURST : BURST + BURST_LEN] = [-3.0] * BURST_LEN
    scores = score_series(moments, values, replace(Params(), drops=0.0))
    assert any(s >= ALERT for s in scores[BURST : BURST + BURST_LEN])


def test_a_point_earlier_than_the_last_is_scored_without_learning() -> None:
    moments, values = series()
    detector = Detector()
    for m, v in zip(moments[:BURST], values[:BURST], strict=True):
        detector.update(m, v)
    before = detector.to_state()
    late = detector.update(moments[BURST - 20], values[BURST - 20] * 10)
    assert 0.0 < late <= 1.0
    assert detector.to_state() == before  # nothing learnt, time did not go back
    # a repeated timestamp is one more point
    detector.update(moments[BURST - 1], values[BURST - 1])
    assert detector.to_state()["n"] == before["n"] + 1


def test_a_version_1_state_is_read() -> None:
    # what the alert function stored before drops existed: the same model
    moments, values = series()
    old = replace(Params(), drops=0.0)
    detector = Detector(old)
    for m, v in zip(moments[:BURST], values[:BURST], strict=True):
        detector.update(m, v)
    state = detector.to_state()
    v1 = {**state, "v": 1, "params": {k: v for k, v in state["params"].items() if k != "drops"}}
    restored = Detector.from_state(v1, old)
    assert restored.to_state() == state
    rest = list(zip(moments[BURST:], values[BURST:], strict=True))
    assert [restored.update(m, v) for m, v in rest] == [detector.update(m, v) for m, v in rest]


def _rows(moments: list[datetime], values: list[float]) -> str:
    return "timestamp,value\n" + "".join(
        f"{m.strftime('%Y-%m-%d %H:%M:%S')},{v:g}\n" for m, v in zip(moments, values, strict=True)
    )


def test_cli_rows_out_of_order_are_scored_and_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the shape of NAB's machine_temperature_system_failure.csv at line 10151: after 02:55
    # the clock goes back 55 minutes and runs on from 02:00 (11 rows earlier than 02:55,
    # then 02:55 again, a repeat, as on the AWS series' DST night), then 03:00 and on
    moments, values = series(days=3, burst=None)
    back = 2 * 288 + 36  # the row after 02:55 on day 3
    moments = (moments[:back] + [moments[back - 12] + i * STEP for i in range(12)] + moments[back:])[: len(values)]  # fmt: skip
    path = _write(tmp_path, _rows(moments, values))
    assert main(["detect", str(path)]) == 0
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert len(out) == len(values) + 1  # one row out for each row in
    assert [r.split(",")[0] for r in out[1:]] == [m.strftime("%Y-%m-%d %H:%M:%S") for m in moments]  # fmt: skip
    line = back + 2  # the file's line of the first row out of order (a header, 1-based)
    assert captured.err.splitlines() == [
        f"{path}:{line}: warning: timestamp '{moments[back]:%Y-%m-%d %H:%M:%S}' is earlier "
        f"than an earlier row's ('{moments[back - 1]:%Y-%m-%d %H:%M:%S}'): scored without "
        f"updating the detector (11 rows, lines {line}-{line + 10})",
        f"{path}:{line + 11}: warning: timestamp repeats the row before (1 such rows in all): each "
        "scored as one more point",
    ]
    detector = Detector()
    expected = [detector.update(m, v) for m, v in zip(moments, values, strict=True)]
    assert all(abs(float(r.split(",")[2]) - e) < 1e-6 for r, e in zip(out[1:], expected, strict=True))  # fmt: skip


def test_cli_bursts_scores_as_the_volume_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    moments, values = series()
    path = _write(tmp_path, _rows(moments, values))
    assert main(["detect", "--bursts", str(path)]) == 0
    scores = [float(r.split(",")[2]) for r in capsys.readouterr().out.splitlines()[1:]]
    expected = score_series(moments, values, VOLUME)
    assert all(abs(a - b) < 1e-6 for a, b in zip(scores, expected, strict=True))
