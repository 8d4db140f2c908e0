"""Parties: add, look up by id or alias, and change truce status with a dated history."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, insert, select, update

from truce import times
from truce.auth.permissions import require
from truce.errors import Conflict, NotFound, ValidationFailed
from truce.i18n import N_
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.ledger.context import App
from truce.parties.models import (
    EXTERNAL_SOURCES,
    PARTY_KINDS,
    TRUCE_STATUSES,
    parties,
    party_aliases,
    party_designations,
    party_external_names,
    party_status_history,
)
from truce.text import actor_key, norm_key
from truce.times import check_day

# Allowed status transitions (None = not yet in the register). Any move needs a decision and a reason.
TRANSITIONS: dict[str | None, set[str]] = {
    None: {"applicant", "signatory", "excluded"},
    "applicant": {"signatory", "excluded"},
    "signatory": {"suspended", "excluded"},
    "suspended": {"signatory", "excluded"},
    "excluded": {"applicant"},
}


def add_party(app: App, conn: Connection, actor: Actor, data: dict[str, Any], as_of: str) -> dict[str, Any]:
    require(actor, "party.add")
    from truce.parties.schemas import PartyIn  # lazy: pydantic (0.06 s of start-up) only for a write

    p = PartyIn.parse(data)
    if p.kind == "designated" and p.status in ("applicant", "signatory"):
        raise ValidationFailed("party.status: a designated group is never a party to the truce", field="party.status")
    if conn.execute(select(parties.c.id).where(parties.c.id == p.id)).first():
        raise Conflict(f"party '{p.id}' exists already", field="party.id")
    aliases: list[dict[str, str]] = []
    seen = set()
    named = [(n, lang) for lang, n in sorted(p.names.items())]
    for a, lang in [*named, (p.name, None), *((a, None) for a in p.aliases)]:
        k = norm_key(a)
        if lang and k in seen:  # the same letters in another language (فيلق / فیلق): kept, for its language
            k = f"{k}@{lang}"
        if k and k not in seen:
            seen.add(k)
            aliases.append({"alias": a, "norm": k, **({"lang": lang} if lang else {})})
    external: list[dict[str, str]] = []
    for source in EXTERNAL_SOURCES:
        for n in p.external_names.get(source, []):
            k = external_norm(source, n)
            if not k:
                raise ValidationFailed(f"party.external_names.{source}: {n!r} is empty once normalised",
                                       field="party.external_names")
            clash = conn.execute(
                select(party_external_names.c.party_id).where(
                    party_external_names.c.source == source, party_external_names.c.norm == k
                )
            ).first()
            if clash is not None or any(e["source"] == source and e["norm"] == k for e in external):
                raise Conflict(
                    f"party.external_names.{source}: {n!r} names {clash[0] if clash else 'another entry'} already",
                    field="party.external_names",
                )
            external.append({"source": source, "name": n, "norm": k})
    payload = {
        "id": p.id,
        "name": p.name,
        "kind": p.kind,
        "aliases": aliases,
        **({"external_names": external} if external else {}),
        "designations": sorted(set(p.designations)),
        "status": p.status,
        "effective": (p.joined or as_of)[:10],
    }
    app.record(conn, actor, "party.add", payload)
    return payload


def external_norm(source: str, name: str) -> str:
    """The look-up key of an external name: ACLED's actor key (parenthesised qualifiers dropped), UCDP's
    lower-cased name."""
    if source == "acled":
        return actor_key(name)
    return name.strip().lower()


def external_hint(conn: Connection, source: str) -> Callable[[str], str | None]:
    """Actor name → party id through the external names the scenario declared for ``source``. ACLED names
    match as a prefix of whole words ("Military Forces of Syria (2000-)" → SYR), UCDP names exactly."""
    rows = conn.execute(
        select(party_external_names.c.norm, party_external_names.c.party_id).where(
            party_external_names.c.source == source
        )
    ).all()
    table = {r.norm: r.party_id for r in rows}
    if source != "acled":
        return lambda n: table.get(external_norm(source, n))
    prefixes = sorted(table, key=lambda k: (-len(k), k))

    def hint(name: str) -> str | None:
        key = external_norm("acled", name)
        hit = table.get(key)
        if hit is None:
            hit = next((table[p] for p in prefixes if key.startswith(p + " ")), None)
        return hit

    return hint


@applier("party.add")
def _apply_add(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(parties).values(
            id=p["id"],
            name=p["name"],
            kind=p["kind"],
            truce_status=p["status"],
            status_since=p["effective"] if p["status"] else None,
            created_at=ctx.now,
        )
    )
    if p.get("external_names"):
        conn.execute(
            insert(party_external_names),
            [{"source": e["source"], "norm": e["norm"], "name": e["name"], "party_id": p["id"]}
             for e in p["external_names"]],
        )
    if p["aliases"]:
        conn.execute(
            insert(party_aliases),
            [{"party_id": p["id"], "alias": a["alias"], "norm": a["norm"], "lang": a.get("lang")}
             for a in p["aliases"]],
        )
    if p["designations"]:
        conn.execute(
            insert(party_designations),
            [{"party_id": p["id"], "authority": d, "listed_on": None, "note": None} for d in p["designations"]],
        )
    if p["status"]:
        conn.execute(
            insert(party_status_history).values(
                party_id=p["id"],
                ledger_seq=ctx.seq,
                status=p["status"],
                previous=None,
                effective=p["effective"],
                reason=N_("initial status in the register"),  # shown through i18n.localize
                decision=None,
            )
        )


def change_status(
    app: App,
    conn: Connection,
    actor: Actor,
    party_id: str,
    status: str,
    effective: str,
    reason: str,
    decision: str | None = None,
) -> dict[str, Any]:
    require(actor, "party.status")
    row = get_party_row(conn, party_id)
    if status not in TRUCE_STATUSES:
        raise ValidationFailed(f"status: '{status}' is not one of {', '.join(TRUCE_STATUSES)}", field="status")
    if status not in TRANSITIONS.get(row.truce_status, set()):
        raise ValidationFailed(
            f"status: {party_id} cannot go from {row.truce_status or 'unregistered'} to {status}", field="status"
        )
    if row.kind == "designated" and status in ("applicant", "signatory"):
        raise ValidationFailed("status: a designated group is never a party to the truce", field="status")
    if not reason.strip():
        raise ValidationFailed("reason: a status change needs a reason", field="reason")
    payload = {
        "party_id": party_id,
        "status": status,
        "previous": row.truce_status,
        "effective": effective[:10],
        "reason": reason,
        "decision": decision,
    }
    app.record(conn, actor, "party.status", payload)
    return payload


@applier("party.status")
def _apply_status(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    write_status_change(conn, p, ctx)


def write_status_change(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Applier-side: set a party's truce status and add the dated row to its history (the one place
    that writes status, whether by an admin's decision, a measure or an accession)."""
    conn.execute(
        update(parties)
        .where(parties.c.id == p["party_id"])
        .values(truce_status=p["status"], status_since=p["effective"])
    )
    conn.execute(
        insert(party_status_history).values(
            party_id=p["party_id"],
            ledger_seq=ctx.seq,
            status=p["status"],
            previous=p["previous"],
            effective=p["effective"],
            reason=p["reason"],
            decision=p["decision"],
        )
    )


def get_party_row(conn: Connection, party_id: str) -> Any:
    row = conn.execute(select(parties).where(parties.c.id == party_id)).first()
    if row is None:
        pid = resolve_party(conn, party_id)
        if pid:
            row = conn.execute(select(parties).where(parties.c.id == pid)).first()
    if row is None:
        raise NotFound(f"no party '{party_id}'", field="party")
    return row


def resolve_party(conn: Connection, text: str | None) -> str | None:
    """A party id from an id, a name or an alias in any spelling variant; None when unknown."""
    if not text:
        return None
    up = text.strip().upper()
    if conn.execute(select(parties.c.id).where(parties.c.id == up)).first():
        return up
    k = norm_key(text)
    row = conn.execute(select(party_aliases.c.party_id).where(party_aliases.c.norm == k)).first()
    return row.party_id if row else None


def status_on(conn: Connection, party_id: str, day: str) -> str | None:
    """The party's truce status on a day, from its dated history."""
    row = conn.execute(
        select(party_status_history.c.status)
        .where(party_status_history.c.party_id == party_id, party_status_history.c.effective <= day[:10])
        .order_by(party_status_history.c.effective.desc(), party_status_history.c.ledger_seq.desc())
        .limit(1)
    ).first()
    return row.status if row else None


def local_names(conn: Connection, lang: str, ids: Iterable[str] | None = None) -> dict[str, str]:
    """Party id -> its name in `lang` where the register has one (an alias marked with that language)."""
    q = select(party_aliases.c.party_id, party_aliases.c.alias).where(party_aliases.c.lang == lang)
    wanted = None if ids is None else sorted({i for i in ids if i})
    if wanted is not None:
        if not wanted:
            return {}
        q = q.where(party_aliases.c.party_id.in_(wanted))
    return {r.party_id: r.alias for r in conn.execute(q.order_by(party_aliases.c.alias))}


def show_party(conn: Connection, party_id: str) -> dict[str, Any]:
    row = get_party_row(conn, party_id)
    d = dict(row._mapping)
    d["aliases"] = [
        r.alias
        for r in conn.execute(
            select(party_aliases.c.alias).where(party_aliases.c.party_id == row.id).order_by(party_aliases.c.alias)
        )
    ]
    d["designations"] = [
        dict(r._mapping)
        for r in conn.execute(
            select(party_designations.c.authority, party_designations.c.listed_on).where(
                party_designations.c.party_id == row.id
            )
        )
    ]
    d["status_history"] = [
        dict(r._mapping)
        for r in conn.execute(
            select(party_status_history)
            .where(party_status_history.c.party_id == row.id)
            .order_by(party_status_history.c.effective, party_status_history.c.ledger_seq)
        )
    ]
    return d


def list_parties(
    conn: Connection, status: str | None = None, kind: str | None = None, as_of: str | None = None
) -> list[dict[str, Any]]:
    as_of = check_day(as_of, "as_of") or times.clock_day()  # a deployment running as of a day: its register
    if kind and kind not in PARTY_KINDS:
        raise ValidationFailed(f"kind: '{kind}' is not one of {', '.join(PARTY_KINDS)}", field="kind")
    if status and status not in TRUCE_STATUSES:
        raise ValidationFailed(f"status: '{status}' is not one of {', '.join(TRUCE_STATUSES)}", field="status")
    rows = [dict(r._mapping) for r in conn.execute(select(parties).order_by(parties.c.kind, parties.c.id))]
    if kind:
        rows = [r for r in rows if r["kind"] == kind]
    if as_of:
        as_of = times.day(as_of, "as_of")
        for r in rows:
            r["truce_status"] = status_on(conn, r["id"], as_of)
    if status:
        rows = [r for r in rows if r["truce_status"] == status]
    return rows
