"""Body validation: unit properties, and fuzzing every JSON route over HTTP (never a 500)."""
from __future__ import annotations

import re
import uuid

from hypothesis import HealthCheck, given, settings, strategies as st

from backend import server as srv
from backend.errors import BadRequest
from backend.validation import Field, parse_object

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)

SPEC = {"name": Field(required=True, min_length=1, max_length=5), "email": Field("email"),
        "n": Field("integer", minimum=0, maximum=9), "flag": Field("boolean"),
        "tags": Field("array", choices=("a", "b"))}


@given(json_values)
def test_parse_object_only_ever_raises_bad_request(payload):
    try:
        clean = parse_object(payload, SPEC)
    except BadRequest as exc:
        assert exc.message
    else:
        assert set(clean) <= set(SPEC) and 1 <= len(clean["name"]) <= 5


def test_parse_object_normalises():
    clean = parse_object({"name": " ab ", "email": " Ann@Fund.EXAMPLE ", "tags": ["a", "a", "b"]}, SPEC)
    assert clean == {"name": "ab", "email": "ann@fund.example", "tags": ["a", "b"]}
    for bad in ({"name": True}, {"name": "x", "n": 1.5}, {"name": "x", "n": True}, {"name": "x", "n": 10},
                {"name": "x", "tags": ["c"]}, {"name": "x\x00"}, {"name": "x", "email": "a@b"}, []):
        try:
            parse_object(bad, SPEC)
        except BadRequest:
            continue
        raise AssertionError(f"accepted {bad!r}")


BODY_ROUTES = [r for r in srv.ROUTES if r.body is not None]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route_index=st.integers(0, len(BODY_ROUTES) - 1), payload=json_values)
def test_fuzz_json_routes_never_500(server, admin, route_index, payload):
    route = BODY_ROUTES[route_index]
    if route.path == "/api/auth/password":
        return  # would change the shared admin's password; covered in test_auth
    path = re.sub(r"\{\w+\*?\}", str(uuid.uuid4()), route.path)
    resp = admin.request(route.method, path, body=payload)
    assert resp.status < 500, (route.path, payload, resp)
    assert resp.json is None or "error" in resp.json or "data" in resp.json or "token" in resp.json


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200), route_index=st.integers(0, len(BODY_ROUTES) - 1))
def test_fuzz_raw_bytes_never_500(server, admin, raw, route_index):
    route = BODY_ROUTES[route_index]
    if route.path == "/api/auth/password":
        return
    path = re.sub(r"\{\w+\*?\}", str(uuid.uuid4()), route.path)
    resp = admin.request(route.method, path, raw=raw, headers={"Content-Type": "application/json"})
    assert resp.status < 500, (route.path, raw, resp)
