"""Prefixed ids: rendered from internal ints, parsed back only for their own kind."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from clinicops.http.clinic import ids


def test_render_and_parse_round_trip():
    assert ids.render(ids.DOCTOR, 7) == "doc_7"
    assert ids.parse(ids.DOCTOR, "doc_7") == 7
    assert ids.parse(ids.LOGIN_REQUEST, "login_req_8") == 8


@pytest.mark.parametrize("text", ["pat_7", "doc_", "doc_07", "doc_0", "doc_-1", "doc_7x", "7", 7, None, "doc_ 7",
                                  "DOC_7", "doc_99999999999999999999", "doc_7\n"])
def test_anything_but_an_id_of_the_kind_is_unknown(text):
    with pytest.raises(ids.UnknownId) as caught:
        ids.parse(ids.DOCTOR, text)
    assert caught.value.status == 404


def test_request_types_give_the_internal_id_and_describe_the_wire_form():
    adapter = TypeAdapter(ids.PatientId)
    assert adapter.validate_python("pat_31") == 31
    with pytest.raises(ids.UnknownId):
        adapter.validate_python("doc_31")
    assert adapter.json_schema()["pattern"] == "^pat_[1-9][0-9]*$"


def test_kinds_do_not_shadow_each_other():
    """No prefix is another's prefix followed by "_", so no id parses as two kinds."""
    for kind in ids.KINDS:
        for other in ids.KINDS:
            if kind != other:
                assert not f"{kind}_1".startswith(other + "_") or not f"{kind}_1"[len(other) + 1:].isdigit()
