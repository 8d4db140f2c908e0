"""Who am I, and API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from truce.api.deps import actor, read, run_write, who, writer
from truce.auth import credentials
from truce.ledger.chain import Actor

router = APIRouter(tags=["auth"])


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str | None = Field(None, description="Whose token (default: yours; an admin may name anyone)")
    days: int = Field(credentials.DEFAULT_TOKEN_DAYS, ge=1, le=credentials.MAX_TOKEN_DAYS)
    label: str | None = Field(None, max_length=200)


@router.get("/me", summary="The signed-in user")
def me(request: Request, a: Actor = Depends(actor)) -> Any:
    return {
        "name": a.name,
        "org": a.org,
        "org_kind": a.org_kind,
        "role": a.role,
        "party_id": a.party_id,
        "via": who(request).via,
    }


@router.get("/tokens", summary="Your API tokens (an admin: everyone's); never the tokens themselves")
def tokens(request: Request, a: Actor = Depends(actor)) -> Any:
    with read(request) as conn:
        return {"tokens": credentials.list_tokens(conn, a)}


@router.post("/tokens", status_code=201, summary="Create an API token: returned once, stored hashed")
def create_token(body: TokenIn, request: Request, a: Actor = Depends(writer)) -> Any:
    app = request.app.state.truce
    return run_write(
        request, a, body.model_dump(),
        lambda conn: credentials.create_token(app, conn, a, body.user or a.name, body.days, body.label), 201,
    )


@router.delete("/tokens/{token_id}", summary="Revoke an API token")
def revoke_token(token_id: int, request: Request, a: Actor = Depends(writer)) -> Any:
    app = request.app.state.truce
    return run_write(request, a, {"token_id": token_id}, lambda conn: credentials.revoke_token(app, conn, a, token_id))
