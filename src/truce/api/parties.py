"""The register of parties: truce status with its history, aliases, designations, eligibility."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from truce import times
from truce.api.deps import read
from truce.eligibility.service import evaluate
from truce.parties.service import get_party_row, list_parties, show_party

router = APIRouter(tags=["parties"])


@router.get("/parties", summary="Parties with their truce status (on as_of, default now)")
def parties(request: Request, status: str | None = None, kind: str | None = None, as_of: str | None = None) -> Any:
    with read(request) as conn:
        return {"parties": list_parties(conn, status=status, kind=kind, as_of=as_of or times.clock_day())}


@router.get("/parties/{party_id}", summary="A party: aliases, designations, status history")
def party(party_id: str, request: Request) -> Any:
    with read(request) as conn:
        row = get_party_row(conn, party_id)
        return show_party(conn, row.id)


@router.get("/parties/{party_id}/eligibility", summary="The published eligibility criteria, evaluated with evidence")
def eligibility(party_id: str, request: Request, as_of: str | None = None) -> Any:
    with read(request) as conn:
        row = get_party_row(conn, party_id)
        return evaluate(conn, row.id, as_of)
