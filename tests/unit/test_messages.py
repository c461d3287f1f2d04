"""What messages say: never a secret, choices named, patterns in words, the right place."""

from __future__ import annotations

from collections.abc import Callable

from projects import (
    ALERT,
    BASE,
    BRAND,
    CAMPAIGN,
    Result,
    campaign,
    diagnostics,
    edit,
    where,
)


def test_secret_is_never_repeated_in_full(validate: Callable[..., Result]) -> None:
    # GIVEN credentials pasted in three places, one under a misspelt key
    aws = "AKIA" + "Q7" * 8
    slack = "xox" + "b-" + "1234567890-" + "abcdefghij" * 2
    bearer = "Bearer " + "k9" * 20
    brand = edit(BRAND, "secret: socialops/acme/x", f"secret: {aws}\n    tokne: {slack}")
    brand = edit(brand, "handle: acme.bsky.social", f'handle: "{bearer}"')
    # WHEN validated
    code, out, err = validate({**BASE, "brand.yml": brand})
    # THEN each one is E601 at its value, and no message contains the secret
    found = [d for d in diagnostics(out) if d["code"] == "E601"]
    assert {d["key"] for d in found} == {
        "accounts.x.secret",
        "accounts.x.tokne",
        "accounts.bluesky.handle",
    }
    for secret in (aws, slack, bearer, bearer.split()[1]):
        assert secret not in out and secret not in err
    assert all("Secrets Manager" in d["message"] for d in found)
    assert code == 1


def test_secret_pasted_as_a_key(validate: Callable[..., Result]) -> None:
    # GIVEN a token pasted where a key goes
    token = "ghp_" + "x1" * 18
    code, out, err = validate({**BASE, **campaign("posts:", f"{token}: yes\nposts:")})
    # THEN E601 at the key, and neither the key path nor any message repeats it
    (only,) = diagnostics(out)
    assert only["code"] == "E601" and only["key"] == ""
    assert (int(only["line"]), int(only["col"])) == where(CAMPAIGN, "posts:")
    assert "found a GitHub token as a key (40 characters, not repeated here)" in only["message"]
    assert token not in out + err
    assert code == 1


def test_secret_in_kind_is_not_repeated(validate: Callable[..., Result]) -> None:
    # GIVEN a token pasted as the kind of a document
    token = "ghp_" + "k2" * 18
    code, out, err = validate({**BASE, **campaign("kind: campaign", f"kind: {token}")})
    # THEN it is E601, and no other message repeats the token
    assert "E601" in {d["code"] for d in diagnostics(out)}
    assert token not in out + err, out
    assert code == 1


def test_missing_alert_type_names_the_choices(validate: Callable[..., Result]) -> None:
    body = edit(CAMPAIGN, "posts:", edit(ALERT, "    type: sentiment\n", ""))
    code, out, _ = validate({**BASE, "campaign.yml": body})
    (only,) = diagnostics(out)
    assert (only["code"], only["key"]) == ("E202", "alerts[0].type")
    assert (int(only["line"]), int(only["col"])) == where(body, "name: neg")
    assert "one of sentiment, volume_anomaly, negative_share" in only["message"]
    assert code == 1


def test_patterns_are_explained_in_words(validate: Callable[..., Result]) -> None:
    body = edit(CAMPAIGN, "posts:", edit(ALERT, "oncall@acme.example", "oncall"))
    _, out, _ = validate({**BASE, "campaign.yml": body})
    (only,) = diagnostics(out)
    assert (only["code"], only["key"]) == ("E204", "alerts[0].notify.email[0]")
    assert only["message"] == "expected an email address such as oncall@example.com, found 'oncall'"


def test_an_empty_value_is_reported_at_its_key(validate: Callable[..., Result]) -> None:
    # GIVEN 'email:' with nothing after it; YAML places the empty value on the next line
    body = edit(CAMPAIGN, "posts:", edit(ALERT, "      email:\n        - oncall@acme.example\n",
                                         "      email:\n"))  # fmt: skip
    _, out, _ = validate({**BASE, "campaign.yml": body})
    (only,) = diagnostics(out)
    # THEN the error points at the key, on its own line
    assert (only["code"], only["key"]) == ("E203", "alerts[0].notify.email")
    assert (int(only["line"]), int(only["col"])) == where(body, "email:")
    assert "found an empty value" in only["message"]


def test_a_key_with_spaces_keeps_the_line_parseable(validate: Callable[..., Result]) -> None:
    # GIVEN a key with a space and a colon in it
    body = edit(CAMPAIGN, "posts:", '"launch date: soon": x\nposts:')
    code, out, _ = validate({**BASE, "campaign.yml": body})
    # THEN its key path is quoted JSON with the space escaped: one token, no space
    (only,) = diagnostics(out)
    assert only["code"] == "E201"
    assert only["key"] == '["launch\\u0020date:\\u0020soon"]'
    assert code == 1
