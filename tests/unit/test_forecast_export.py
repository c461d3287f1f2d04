"""The engagement forecast model stored as plain JSON (functions/optimize/forecast.py
``Model.to_json`` / ``Model.from_json``): a model read back predicts exactly what the fitted
one does, known and unknown accounts alike, with numpy alone (scikit-learn made
unimportable); the document holds only numbers, strings, booleans and nulls (no pickle,
no base64); another format version or a malformed document is refused with ValueError."""

from __future__ import annotations

import copy
import json
import math
import sys
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from test_forecast_model import START, blind, fresh, posts

from functions.optimize import forecast as fc
from functions.optimize.forecast import Model, Post, Settings, fit

KS = (2.0, 3.0, 5.0)


def _history() -> list[Post]:
    """Three accounts from test_forecast_model's process (images, videos, replies; words,
    hours, followers) and a fourth with neither media nor followers."""
    quiet = [replace(p, media=None, followers=None) for p in posts("steady", range(0, 120), 4)]
    quiet = [replace(p, account="quiet") for p in quiet]
    return (posts("steady", range(0, 160), 1) + posts("small", range(0, 160), 2)
            + posts("growing", range(0, 160), 3) + quiet)  # fmt: skip


def _targets() -> list[Post]:
    """Posts to forecast: every known account, and two accounts absent from the history."""
    found = blind(fresh("steady") + fresh("small") + fresh("growing"))
    found += [replace(p, account="quiet", media=None, followers=None) for p in blind(fresh("steady", 5))]  # fmt: skip
    at = START + timedelta(days=170, hours=9)
    found += [Post("nobody", at, "New post #3 launch", "video", 1200),
              Post("nobody-else", at + timedelta(hours=5), "@someone thanks!", None)]  # fmt: skip
    return found


@pytest.fixture(scope="module")
def history() -> list[Post]:
    return _history()


@pytest.fixture(scope="module")
def model(history: list[Post]) -> Model:
    return fit(history, seed=0)


def _same(a: Model, b: Model, found: list[Post]) -> None:
    for k in KS:
        assert a.predict(found, k) == b.predict(found, k)  # the same floats, bit for bit


def test_a_model_read_back_predicts_exactly_the_same(model: Model) -> None:
    assert model.effects[0] == "trees"
    assert any(a.words for a in model.accounts.values())  # the words are exercised
    text = model.to_json()
    again = Model.from_json(text)
    _same(model, again, _targets())
    assert again.settings == model.settings and again.platt == model.platt
    assert again.viral == model.viral
    assert again.info == model.info and list(again.accounts) == list(model.accounts)
    assert again.to_json() == text  # writing the read-back model gives the same document
    assert Model.from_json(text.encode()).predict(_targets()) == model.predict(_targets())
    assert Model.from_dict(json.loads(text)).predict(_targets()) == model.predict(_targets())


def test_the_trees_evaluated_with_numpy_are_sklearns(model: Model) -> None:
    regressor = model.effects[1]
    trees = Model.from_json(model.to_json()).effects[1]
    assert isinstance(trees, fc._Trees) and len(trees.trees) == model.settings.trees
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, len(fc.FEATURES))) * 3
    x[rng.random(x.shape) < 0.1] = np.nan  # missing values take the trees' missing side
    x[:50] = fc.features(_targets()[:50])
    assert np.array_equal(trees.predict(x), regressor.predict(x))


@pytest.mark.parametrize("settings", [Settings(effects="linear"), Settings(horizon_days=0.0, trend_days=60.0, center=True, trees=40),
                                      Settings(words=0.0, loss="absolute_error", trees=30)])  # fmt: skip
def test_other_settings_are_read_back_too(history: list[Post], settings: Settings) -> None:
    fitted = fit(history, seed=1, settings=settings)
    again = Model.from_json(fitted.to_json())
    assert again.settings == settings
    _same(fitted, again, _targets())


@pytest.mark.parametrize("n", [1, 3, 12])
def test_tiny_histories_are_read_back(n: int) -> None:
    small = posts("steady", range(0, 20), 5, per_day=1)[:n]
    fitted = fit(small, seed=0)  # under 20 rows: no pooled effects at all
    again = Model.from_json(fitted.to_json())
    _same(fitted, again, _targets())


def _leaves(v: Any) -> list[Any]:
    if isinstance(v, dict):
        assert all(isinstance(k, str) for k in v)
        return [leaf for x in v.values() for leaf in _leaves(x)]
    if isinstance(v, list):
        return [leaf for x in v for leaf in _leaves(x)]
    return [v]


def test_the_document_is_plain_json(model: Model) -> None:
    text = model.to_json()
    assert text.isascii()

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in the document: not strict JSON")

    doc = json.loads(text, parse_constant=refuse)
    leaves = _leaves(doc)
    assert all(v is None or isinstance(v, bool | int | float | str) for v in leaves)
    # no blob anywhere: the longest strings are words, settings and names
    assert max(len(v) for v in leaves if isinstance(v, str)) < 64
    assert doc["format"] == fc.FORMAT and doc["version"] == fc.FORMAT_VERSION
    tree = doc["effects"]["trees"][0]
    for name in ("value", "feature_idx", "num_threshold", "missing_go_to_left", "left", "right", "is_leaf"):  # fmt: skip
        assert len(tree[name]) == len(tree["value"])
    # the pooled state's unknown followers and infinite horizon are strings, not NaN
    assert doc["pooled"]["followers"] == "nan" and doc["pooled"]["horizon"] == "inf"


def test_reading_needs_numpy_only(model: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    text = model.to_json()
    found = _targets()
    expected = {k: model.predict(found, k) for k in KS}
    for name in ("sklearn", "scipy"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError):
        import sklearn.ensemble  # noqa: F401
    again = Model.from_json(text)
    for k in KS:
        assert again.predict(found, k) == expected[k]
    assert again.to_json() == text


def test_categorical_trees_are_evaluated_as_sklearn_does() -> None:
    """Not used by the forecast (its features are plain floats), but a tree with
    categorical splits is exported with its bitsets and sklearn's category encoding."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(1)
    n = len(fc.FEATURES)
    x = rng.normal(size=(3000, n))
    x[:, 5] = rng.integers(0, 40, 3000) * 1.5 - 7  # categories that are not 0..k
    x[:, 3] = rng.integers(0, 5, 3000)
    x[::7, 1] = np.nan
    x[::11, 5] = np.nan
    y = np.sin(np.nan_to_num(x[:, 5])) + (x[:, 3] == 2) + np.nan_to_num(x[:, 1]) + rng.normal(size=3000) * 0.3  # fmt: skip
    regressor = HistGradientBoostingRegressor(max_iter=40, categorical_features=[5, 3]).fit(x, y)
    doc = json.loads(json.dumps(fc._effects_doc(("trees", regressor)), allow_nan=False))
    trees = fc._effects_from_doc(doc)[1]
    assert any(t.get("is_categorical") and any(t["is_categorical"]) for t in doc["trees"])
    z = rng.normal(size=(5000, n))
    z[:, 5] = rng.integers(-3, 60, 5000) * 1.5 - 7  # unknown categories, negative ones
    z[::4, 5] += 0.2
    z[:, 3] = rng.integers(-1, 8, 5000)
    z[::5, 5] = np.nan
    z[::3, 1] = np.nan
    assert np.array_equal(trees.predict(z), regressor.predict(z))


# ---------------------------------------------------------------------------------------
# refused documents


@pytest.fixture(scope="module")
def doc(model: Model) -> dict[str, Any]:
    return json.loads(model.to_json())


def test_another_version_is_refused(doc: dict[str, Any]) -> None:
    for version in (2, 0, "1", None, True):
        other = dict(doc, version=version)
        with pytest.raises(ValueError, match=r"format version .* is not supported"):
            Model.from_json(json.dumps(other))
    with pytest.raises(ValueError, match="not a forecast model document"):
        Model.from_json(json.dumps(dict(doc, format="something.else")))


def test_a_document_without_viral_weights_is_platt_alone(model: Model, doc: dict[str, Any]) -> None:
    """Documents written before p_viral weighed the point's parts have no "viral": read
    back, p_viral is Platt's alone (the parts' weights 0); the intervals are the same."""
    assert any(w != 0.0 for w in model.viral)  # the fit learnt the parts' weights
    older = {k: v for k, v in doc.items() if k != "viral"}
    again = Model.from_json(json.dumps(older))
    assert again.viral == (0.0, 0.0, 0.0)
    platt_alone = replace(model, viral=(0.0, 0.0, 0.0))
    assert again.predict(_targets()) == platt_alone.predict(_targets())
    found = model.predict(_targets())
    assert [(f.p10, f.p50, f.p90) for f in again.predict(_targets())] == [
        (f.p10, f.p50, f.p90) for f in found
    ]


def test_a_truncated_document_is_refused(model: Model) -> None:
    text = model.to_json()
    for cut in (0, 1, len(text) // 3, len(text) - 1):
        with pytest.raises(ValueError, match="forecast model: not a JSON document"):
            Model.from_json(text[:cut])
    with pytest.raises(ValueError, match="not a JSON document"):
        Model.from_json(b"\xff\xfe{")


def _broken(doc: dict[str, Any], change: str) -> dict[str, Any]:
    d = copy.deepcopy(doc)
    tree = d["effects"]["trees"][0]
    account = next(iter(d["accounts"].values()))
    if change == "no accounts":
        del d["accounts"]
    elif change == "unknown key":
        d["extra"] = 1
    elif change == "a list for a number":
        account["level"] = [1.0]
    elif change == "a string for a number":
        account["sigma"] = "0.5"
    elif change == "short scores":
        account["scores"] = account["scores"][:-1]
    elif change == "short viral weights":
        d["viral"] = d["viral"][:-1]
    elif change == "a short node column":
        tree["left"] = tree["left"][:-1]
    elif change == "a child before its parent":
        split = tree["is_leaf"].index(0)
        tree["left"][split] = split
    elif change == "a child outside the tree":
        split = tree["is_leaf"].index(0)
        tree["right"][split] = len(tree["value"])
    elif change == "a feature beyond the features":
        split = tree["is_leaf"].index(0)
        tree["feature_idx"][split] = len(fc.FEATURES)
    elif change == "a bool for an int":
        d["settings"]["trees"] = True
    elif change == "an unknown setting":
        d["settings"]["depth"] = 3
    elif change == "other features":
        d["features"] = d["features"][::-1]
    elif change == "other levels":
        d["levels"][0] = 0.001
    elif change == "an unknown link":
        d["effects"]["link"] = "logit"
    elif change == "an unknown effects kind":
        d["effects"]["kind"] = "pickle"
    elif change == "not an object":
        return [d]  # type: ignore[return-value]
    else:
        raise AssertionError(change)
    return d


@pytest.mark.parametrize("change", [
    "no accounts", "unknown key", "a list for a number", "a string for a number",
    "short scores", "short viral weights", "a short node column", "a child before its parent",
    "a child outside the tree", "a feature beyond the features", "a bool for an int",
    "an unknown setting", "other features", "other levels", "an unknown link",
    "an unknown effects kind", "not an object",
])  # fmt: skip
def test_a_malformed_document_is_refused(doc: dict[str, Any], change: str) -> None:
    with pytest.raises(ValueError, match=r"^forecast model: "):
        Model.from_json(json.dumps(_broken(doc, change)))


def test_non_finite_literals_are_refused(model: Model) -> None:
    text = model.to_json().replace('"followers":"nan"', '"followers":NaN', 1)
    assert "NaN" in text
    with pytest.raises(ValueError, match="not a JSON document"):
        Model.from_json(text)


def test_a_model_that_cannot_be_written_says_so(model: Model) -> None:
    odd = replace(model, effects=("forest", object()))
    with pytest.raises(ValueError, match="cannot be written"):
        odd.to_json()
    assert math.isfinite(model.predict(_targets())[0].p50)
