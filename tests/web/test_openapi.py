"""web/static/openapi.yaml describes exactly the API the panel serves, in the shapes it answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from flask import Flask

from playlists.access import tokens
from playlists.store import Store
from tests.paths import REPO
from tests.web_fixtures import NOW, add_fake_announcement, add_pause_playlist, add_user

SPEC_FILE = REPO / "web" / "static" / "openapi.yaml"
METHODS = {"get", "post", "put", "patch", "delete"}
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def served(app: Flask) -> set[tuple[str, str]]:
    """Every (path, method) under /api/v1, paths written the OpenAPI way."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = _CONVERTER.sub(r"{\1}", rule.rule)
            found |= {(path, m.lower()) for m in rule.methods or () if m.lower() in METHODS}
    return found


def documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, m) for path, item in spec["paths"].items() for m in item if m in METHODS}


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, m, op)
        for path, item in spec["paths"].items()
        for m, op in item.items()
        if m in METHODS
    ]


def test_it_is_openapi_3_1(spec: dict[str, Any]) -> None:
    assert str(spec["openapi"]).startswith("3.1.")
    assert (
        spec["info"]["title"]
        and spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    )


def test_every_route_is_documented_and_nothing_else(app: Flask, spec: dict[str, Any]) -> None:
    assert served(app), "no /api/v1 routes found"
    assert sorted(served(app) - documented(spec)) == [], "routes missing from openapi.yaml"
    assert sorted(documented(spec) - served(app)) == [], "openapi.yaml documents what is not served"


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow a local $ref."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = spec
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in all_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in all_refs(value)]
    return []


def test_every_reference_resolves(spec: dict[str, Any]) -> None:
    refs = all_refs(spec)
    assert refs
    for ref in refs:
        assert resolve(spec, {"$ref": ref}) is not None, ref


def test_every_operation_documents_its_parameters_and_errors(spec: dict[str, Any]) -> None:
    ids = []
    for path, method, op in operations(spec):
        ids.append(op["operationId"])
        params = spec["paths"][path].get("parameters", []) + op.get("parameters", [])
        in_path = {resolve(spec, p)["name"] for p in params if resolve(spec, p)["in"] == "path"}
        assert in_path == set(re.findall(r"{(\w+)}", path)), (method, path)
        responses = op["responses"]
        assert "401" in responses, (method, path)  # every call needs a log-in or a token
        if method != "get":
            assert {"401", "403"} <= set(responses), (method, path)
        for response in responses.values():
            schema = resolve(spec, response).get("content", {}).get("application/json", {})
            assert schema, (method, path)
        for code in set(responses) - {"200", "201"}:
            error = resolve(spec, responses[code])["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}, (method, path, code)
    assert len(ids) == len(set(ids)), "operationIds are unique"


# -- the documented shapes are the ones answered ----------------------------------------


def check(
    spec: dict[str, Any], schema: Any, value: Any, where: str = "$", closed: bool = True
) -> None:
    """Check a value against the subset of JSON Schema that openapi.yaml uses.

    Objects may carry no property the schema does not name: a new field must be
    documented.
    """
    schema = resolve(spec, schema)
    if "allOf" in schema:
        for part in schema["allOf"]:
            check(spec, part, value, where, closed=False)  # the parts together name all
    if "oneOf" in schema:
        passed = 0
        for option in schema["oneOf"]:
            try:
                check(spec, option, value, where)
            except AssertionError:
                continue
            passed += 1
        assert passed == 1, f"{where}: {value!r} matches {passed} of oneOf"
        return
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        assert any(_is(kind, value) for kind in kinds), f"{where}: {value!r} is not {kinds}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict):
        properties = _properties(spec, schema)
        for key in schema.get("required", []):
            assert key in value, f"{where}: {key} is missing"
        if properties and closed:
            extra = set(value) - set(properties)
            assert not extra, f"{where}: undocumented {sorted(extra)}"
        for key, item in value.items():
            if key in schema.get("properties", {}):
                check(spec, schema["properties"][key], item, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            check(spec, schema["items"], item, f"{where}[{n}]")


def _properties(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    found = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        found.update(_properties(spec, resolve(spec, part)))
    return found


def _is(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    types = {"string": str, "boolean": bool, "object": dict, "array": list, "null": type(None)}
    return isinstance(value, types[kind])


NEW_ENTRY = {"playlist_id": 1, "start": "2023-03-28", "end": "2023-03-29", "times": ["08:00"]}
CALLS = [
    ("get", "/api/v1/status", "/api/v1/status", None),
    ("get", "/api/v1/plan", "/api/v1/plan", None),
    ("get", "/api/v1/asrun", "/api/v1/asrun", None),
    ("get", "/api/v1/system", "/api/v1/system", None),
    ("get", "/api/v1/announcements", "/api/v1/announcements", None),
    ("get", "/api/v1/announcements/{announcement_id}", "/api/v1/announcements/1", None),
    ("get", "/api/v1/playlists", "/api/v1/playlists", None),
    ("get", "/api/v1/playlists/{playlist_id}", "/api/v1/playlists/1", None),
    ("get", "/api/v1/schedule", "/api/v1/schedule", None),
    ("post", "/api/v1/schedule", "/api/v1/schedule", NEW_ENTRY),
    ("delete", "/api/v1/schedule/{schedule_id}", "/api/v1/schedule/2", None),
    ("post", "/api/v1/commands", "/api/v1/commands", {"kind": "play", "playlist_id": 1}),
    ("get", "/api/v1/review", "/api/v1/review", None),
    ("get", "/api/v1/audit", "/api/v1/audit", None),
    ("post", "/api/v1/playlists/{playlist_id}/submit", "/api/v1/playlists/1/submit", None),
    ("post", "/api/v1/schedule", "/api/v1/schedule", {"times": ["25:00"]}),
    ("get", "/api/v1/playlists/{playlist_id}", "/api/v1/playlists/9", None),
]  # fmt: skip


def test_answers_have_the_documented_shapes(app: Flask, store: Store, spec: dict[str, Any]) -> None:
    add_user(store, "admin", "admin")
    secret = tokens.create_token(store, "admin", "docs", NOW)
    add_pause_playlist(store, "社会工作宣传")
    add_fake_announcement(store)
    store.set_status(
        {
            "heartbeat": "2023-03-28T02:59:59+00:00",
            "clock": {"synchronized": True},
            "now_playing": {"playlist_name": "应急通知", "priority": "emergency"},
        },
        NOW,
    )
    client = app.test_client()
    seen = set()
    for method, path, url, body in CALLS:
        response = getattr(client, method)(
            url, json=body, headers={"Authorization": f"Bearer {secret}"}
        )
        status = str(response.status_code)
        documented_response = spec["paths"][path][method]["responses"].get(status)
        assert documented_response, f"{method} {url} answered {status}, not documented"
        schema = resolve(spec, documented_response)["content"]["application/json"]["schema"]
        check(spec, schema, response.json, f"{method} {url} {status}")
        seen.add(status)
    assert {"200", "201", "400", "404", "409"} <= seen
