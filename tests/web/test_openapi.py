"""The OpenAPI document the server publishes is valid OpenAPI (openapi-spec-validator) and every `$ref` in it
names a schema it defines (a dangling `#/components/schemas/Casualties` once slipped through)."""

from __future__ import annotations

import json
import re

from openapi_spec_validator import validate
from tests.web.conftest import client_for


def _refs(node: object) -> set[str]:
    return set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(node)))


def test_the_openapi_document_is_valid_and_every_ref_resolves(astana_url):
    r = client_for(astana_url).get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    validate(spec)
    defined = {f"#/components/schemas/{name}" for name in spec.get("components", {}).get("schemas", {})}
    dangling = sorted(_refs(spec) - defined)
    assert not dangling, f"$refs to schemas the document does not define: {dangling}"
    body = spec["paths"]["/api/v1/reports"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "casualties" in body["properties"] and "killed" not in body["properties"]
    assert "killed" in body["properties"]["casualties"]["properties"]
