"""A brand's files name only that brand's secrets (E309): the functions are granted exactly
the secrets the YAML names, so a name outside ``socialops/<brand>/`` would hand another
secret of the AWS account (another brand's token, ``prod/stripe/api-key``) to a function."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from projects import BASE, BRAND, Result, campaign, diagnostics, edit

ALERT = """alerts:
  - name: burst
    type: volume_anomaly
    notify:
      slack:
        - {name}
posts:"""
LISTENING = "listening:\n  terms:\n    - acme\naccounts:"


@pytest.mark.parametrize("name", ["prod/stripe/api-key", "socialops/other/x", "socialops/acme/",
                                  "socialops/acmex/x", "socialops/x", "acme/x"])  # fmt: skip
def test_an_account_secret_outside_its_brand_is_refused(
    validate: Callable[..., Result], name: str
) -> None:
    code, out, _ = validate({**BASE, "brand.yml": edit(BRAND, "socialops/acme/x", name)})
    assert code == 1
    assert [(d["code"], d["key"]) for d in diagnostics(out)] == [("E309", "accounts.x.secret")]


@pytest.mark.parametrize("name", ["socialops/other/slack", "ops/slack-webhook"])
def test_a_slack_secret_outside_the_campaigns_brand_is_refused(
    validate: Callable[..., Result], name: str
) -> None:
    files = {**BASE, **campaign("posts:", ALERT.format(name=name)),
             "brand.yml": edit(BRAND, "accounts:", LISTENING)}  # fmt: skip
    code, out, _ = validate(files)
    assert code == 1
    found = [(d["code"], d["key"]) for d in diagnostics(out)]
    assert found == [("E309", "alerts[0].notify.slack[0]")]


def test_the_brands_own_secrets_pass(validate: Callable[..., Result]) -> None:
    files = {**BASE, **campaign("posts:", ALERT.format(name="socialops/acme/slack-ops")),
             "brand.yml": edit(BRAND, "accounts:", LISTENING)}  # fmt: skip
    assert validate(files)[0] == 0
