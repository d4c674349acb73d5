"""Hostile and unlucky input (issue 14): every repro from the probe gets a clear 4xx or a clear CLI error, never a
500, a traceback or a hang: the parsers, brief fields, error responses and callback address checks in process.
tests/integration/test_hostile_input.py sends the same kind of input through the running service.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from copyloop.api.errors import error_response
from copyloop.brief import brief_from_dict
from copyloop.errors import BriefError
from copyloop.safe_load import UnsafeInput, load_json, load_yaml
from copyloop.service.outbound import Refused, resolve

BRIEF = {"product_name": "Trail Bottle", "sku": "TB-750", "category": "Drinkware", "channel": "email_subject",
         "features": ["keeps drinks cold 24h"], "price": 29}
BILLION_LAUGHS = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)])


def test_parsers_refuse_deep_nesting_bombs_duplicates_and_non_numbers() -> None:
    with pytest.raises(UnsafeInput, match="nested more than 32 levels"):
        load_json("[" * 1001 + "]" * 1001)
    with pytest.raises(UnsafeInput, match="nest"):  # LibYAML stops at 1,000 levels, copyloop at 32
        load_yaml("a: " + "[" * 1000 + "]" * 1000)
    started = time.monotonic()
    with pytest.raises(UnsafeInput, match="anchors and aliases"):
        load_yaml(BILLION_LAUGHS)
    assert time.monotonic() - started < 1.0
    with pytest.raises(UnsafeInput, match="duplicate key 'product_name'"):
        load_yaml("product_name: A\nproduct_name: B\n")
    with pytest.raises(UnsafeInput, match="NaN is not a JSON number"):
        load_json('{"price": NaN}')
    with pytest.raises(UnsafeInput, match="too large"):
        load_json('{"price": 1e999}')
    assert load_yaml("a: [1, {b: 'x &y *z'}]") == {"a": [1, {"b": "x &y *z"}]}  # & and * inside text are text
    deep: list[Any] = []
    for _ in range(2000):
        deep = [deep]
    with pytest.raises(BriefError, match="nested more than 32 levels"):
        brief_from_dict({**BRIEF, "features": deep})


@pytest.mark.parametrize(("changes", "field"), [
    ({"product_name": "\u200b\u200d\u2060"}, "product_name"),
    ({"features": ["\ufeff"]}, "features.0"),
    ({"n_variants": True}, "n_variants"),
    ({"currency": "XYZ"}, "currency"),
    ({"locale": "en-ZZ-junk"}, "locale"),
    ({"attributes": {"Color": "red", "color\u200b": "blue"}}, "attributes"),
    ({"product_name": "\u200b" + "x" * 120}, "product_name"),  # the limit counts the text as sent, as OpenAPI says
    ({"price": 1.234}, "price"), ({"price": 1e308}, "price"), ({"price": "1e3"}, "price"), ({"price": "$5"}, "price"),
    ({"price": True}, "price"),
])
def test_junk_fields_are_refused_not_cleaned_into_something_else(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(BriefError) as caught:
        brief_from_dict({**BRIEF, **changes})
    assert any(p.startswith(field) for p in caught.value.problems), caught.value.problems


def test_a_price_sent_as_a_float_is_the_cent_it_means() -> None:
    assert str(brief_from_dict({**BRIEF, "price": 0.1 + 0.2}).price) == "0.3"
    assert str(brief_from_dict({**BRIEF, "price": 0.57}).price) == "0.57"
    assert str(brief_from_dict({**BRIEF, "price": "29.99"}).price) == "29.99"


def test_non_characters_and_tags_are_removed_from_text() -> None:
    brief = brief_from_dict({**BRIEF, "product_name": "Trail\ufffe Bottle\U000e0041\uffff"})
    assert brief.product_name == "Trail Bottle"


def test_the_error_response_always_encodes_whatever_input_it_echoes() -> None:
    response = error_response({"error": "invalid request", "detail": [
        {"field": "a", "input": float("nan")}, {"field": "b", "input": "\ud800" + "x" * 500},
        {"field": "c", "input": b"\xff\xfe"}, {"field": "d", "input": 10**30}, {"field": "e", "input": object()}]},
        422)
    body = json.loads(response.body)
    assert body["detail"][0]["input"] == "nan" and body["detail"][1]["input"].startswith("\ufffd")
    assert body["detail"][2]["input"] == "\ufffd\ufffd"
    assert body["detail"][3]["input"] == str(10**30) and isinstance(body["detail"][4]["input"], str)


def test_a_name_that_resolves_inside_is_refused_at_delivery_and_an_operator_may_allow_it() -> None:
    with pytest.raises(Refused, match="internal"):
        resolve("http://LOCALHOST.:8080/hook")  # case and a trailing dot do not slip past the name check
    with pytest.raises(Refused, match="loopback, private"):
        resolve(f"http://{socket.gethostname()}:8080/hook")  # this machine's own name resolves to itself
    target = resolve("http://127.0.0.1:8080/hook", allow=["127.0.0.0/8"])
    assert (target.address, target.port, target.path) == ("127.0.0.1", 8080, "/hook")
