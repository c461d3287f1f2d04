"""Alert reads DynamoDB items with boto3's own TypeDeserializer, not a hand-written
conversion that knew three types: every attribute type comes back as Python, and a value
no deserializer can read is kept as it came, to be refused where it is used."""

from __future__ import annotations

from decimal import Decimal

import pytest

from functions.alert import rules
from functions.alert.store import plain


@pytest.mark.parametrize(("value", "python"), [
    ({"S": "bucket#acme"}, "bucket#acme"), ({"N": "12.5"}, Decimal("12.5")),
    ({"BOOL": True}, True), ({"NULL": True}, None),
    ({"M": {"a": {"N": "1"}, "b": {"S": "x"}}}, {"a": Decimal(1), "b": "x"}),
    ({"L": [{"N": "1"}, {"S": "x"}]}, [Decimal(1), "x"]),
    ({"SS": ["a", "b"]}, {"a", "b"}), ({"NS": ["1", "2"]}, {Decimal(1), Decimal(2)}),
])  # fmt: skip
def test_every_attribute_type_reads_as_python(value: dict, python: object) -> None:
    assert plain(value) == python


@pytest.mark.parametrize("odd", [{}, {"X": 1}])
def test_a_value_no_deserializer_reads_is_kept_for_its_user_to_refuse(odd: dict) -> None:
    assert plain(odd) == odd


def test_a_bucket_read_through_the_deserializer() -> None:
    item = {"sk": {"S": "2027-01-14T08:00Z"}, "mentions": {"N": "3"},
            "polarity_sum": {"N": "-1.5"}, "term:acme": {"N": "2"}}  # fmt: skip
    bucket = rules.bucket_of({k: plain(v) for k, v in item.items()})
    assert bucket.mentions == 3 and bucket.polarity_sum == -1.5 and bucket.terms == {"acme": 2}
    with pytest.raises(ValueError, match="not a number"):
        rules.bucket_of({**{k: plain(v) for k, v in item.items()}, "mentions": None})
