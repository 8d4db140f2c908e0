"""Schemathesis over the OpenAPI document the server publishes, against the real app in process (ASGI) on a
seeded world: as the public and as each role (monitor, analyst, verifier, admin, party liaison), positive and
negative cases of every operation. Not one server error, and every answer as the document declares it: a
documented status, a documented content type, a body and headers matching the declared schema.

`make test` runs a bounded form (TRUCE_FUZZ_EXAMPLES unset: a few examples per operation and mode, derandomized
so that a run is the same every time); `make soak` sets TRUCE_FUZZ_EXAMPLES for a long one."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from truce.web.app import create_app

ROLES = [None, "rus_monitor", "rus_analyst", "rus_verifier", "joint_admin", "syr_liaison"]
EXAMPLES = int(os.environ.get("TRUCE_FUZZ_EXAMPLES") or 0)
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
]


def fuzz(url: str, tokens: dict[str, str], roles: list[str | None], examples: int) -> dict[str, str]:
    """Every operation, as each role, `examples` positive and `examples` negative cases; returns the failures
    found, one per (role, operation, mode, failure title), with the first report of each."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(url))
    found: dict[str, str] = {}
    ops = [res.ok() for res in schema.get_all_operations()]
    assert len(ops) > 50, "the document lists the API's operations"
    for role in roles:
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        for op in ops:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                label = f"{role or 'public'} {op.method.upper()} {op.path} ({mode.value})"
                # Unsatisfiable: no negative case exists for this operation (e.g. it has no parameter at all)
                with contextlib.suppress(Unsatisfiable):
                    _case_runner(op.as_strategy(generation_mode=mode), examples, label, headers, found)()
    return found


def _case_runner(strategy: Any, examples: int, label: str, headers: dict[str, str], found: dict[str, str]) -> Any:
    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=strategy)
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except BaseExceptionGroup as e:  # schemathesis' FailureGroup: one per failed check
            for f in e.exceptions:
                found.setdefault(f"{label}: {getattr(f, 'title', type(f).__name__)}", str(e)[:3000])

    return run


def _report(found: dict[str, str]) -> str:
    return f"{len(found)} failures:\n" + "\n".join(found) + "\n\n" + "\n".join(list(found.values())[:5])


@pytest.mark.parametrize("role", ROLES, ids=[r or "public" for r in ROLES])
def test_fuzz_sqlite(world: tuple[str, dict[str, Any]], role: str | None) -> None:
    url, w = world
    found = fuzz(url, w["tokens"], [role], EXAMPLES or 4)
    assert not found, _report(found)


@pytest.mark.parametrize("astana_url", ["postgresql"], indirect=True)
def test_fuzz_postgresql(world_any: tuple[str, dict[str, Any]]) -> None:
    """The same on PostgreSQL, bounded (the public, a monitor, a verifier; fewer examples) in `make test`, every
    role in `make soak`."""
    url, w = world_any
    roles = ROLES if EXAMPLES else [None, "rus_monitor", "rus_verifier"]
    found = fuzz(url, w["tokens"], roles, EXAMPLES or 2)
    assert not found, _report(found)
