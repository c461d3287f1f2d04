"""Values that reach the stack or a platform's API as they are: what validation lets through
must be what the stack and the platforms take (issue 11, item 3)."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from functions.ingest.sources.x import MAX_QUERY, query_of
from schema.alerts import Notify
from schema.brand import Brand
from schema.types import Name, SecretName


@pytest.mark.parametrize("value", ["${self:custom.key}", "${ssm:/prod/key}", "a${env:HOME}",
                                   "${file(x.json)}"])  # fmt: skip
def test_no_value_that_reaches_the_stack_holds_a_serverless_variable(value: str) -> None:
    # GIVEN every kind of value socialops writes into build/serverless (brand and campaign
    # names, secret names, e-mail endpoints, SNS topic ARNs) WHEN one holds `${...}` THEN
    # it is refused, so the Serverless Framework never expands it
    for adapter, data in ((TypeAdapter(Name), value), (TypeAdapter(SecretName), value),
                          (TypeAdapter(Notify), {"email": [f"{value}@acme.example"]}),
                          (TypeAdapter(Notify), {"email": [f"ops@{value}.example"]}),
                          (TypeAdapter(Notify), {"sns": [f"arn:aws:sns:eu-west-1:123456789012:{value}"]})):  # fmt: skip
        with pytest.raises(ValidationError):
            adapter.validate_python(data)


def _listening_brand(terms: list[str]) -> dict[str, object]:
    return {"version": 1, "kind": "brand", "name": "acme",
            "voice": {"description": "Brief.", "tone": ["warm"]},
            "accounts": {"x": {"handle": "acme", "secret": "socialops/acme/x"}},
            "listening": {"terms": terms}}  # fmt: skip


def test_the_most_terms_x_allows_reach_x_whole() -> None:
    # GIVEN terms whose X query is exactly 512 characters, and one character more
    terms = [f"phrase {i:02d}" for i in range(20)]
    terms.append("x" * (512 - len(query_of(terms)) - len(' OR ""')))
    # WHEN validated THEN the first is accepted and ingest sends its query uncut
    Brand.model_validate(_listening_brand(terms))
    assert len(query_of(terms)) == MAX_QUERY and query_of(terms).endswith(") -is:retweet")
    # THEN one more character is refused at validation (ingest would cut the query
    # mid-phrase, and X would answer 400 on every run)
    with pytest.raises(ValidationError, match="fit in one X search query of 512"):
        Brand.model_validate(_listening_brand([*terms[:-1], terms[-1] + "x"]))
