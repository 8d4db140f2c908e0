"""Intake: articles and messages become candidate reports; a person accepts, corrects or rejects each.

Commands (each a ledger entry, applied by the appliers below):
- ``intake.add``: a batch of candidates (the article kept in the blob store, the extraction, the report it
  proposes and the incident it probably belongs to, found by the corroboration rules);
- ``intake.accept``: the decision to accept, with the reviewer's edits; the report itself is submitted
  through the reports service (its own ``report.submit`` entry, source kind media, the article as evidence);
- ``intake.reject``: the decision to reject, with a reason.

Idempotent: an article is known by its id (``id:<source>:<id>``) or, without one, by the hash of its text.
The same article again is skipped; the same id with other content is refused. Nothing extracted is ever
verified by the machine: a candidate counts only once a person accepted it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from truce import times
from truce.auth.permissions import require
from truce.errors import Conflict, NotFound, TruceError, ValidationFailed
from truce.geo.gazetteer import Gazetteer
from truce.incidents import matching
from truce.incidents.models import incident_reports
from truce.intake import rules
from truce.intake.extract import Article, Extraction, extract
from truce.intake.models import CASUALTY_KEYS, EDITABLE
from truce.intake.models import intake_candidates as cand
from truce.ledger.chain import Actor, ApplyContext, applier, business_now, canonical
from truce.reports import service as reports

BATCH = 500  # candidates per ledger entry in an import
MAX_BODY = 100_000
REPORT_NS = uuid.UUID("4f1c2f9e-6a0b-4d55-9a59-2b8c7d1e0a17")  # report ids made from candidate ids



# --------------------------------------------------------------------------------------------------------
# Reading articles
# --------------------------------------------------------------------------------------------------------


@dataclass
class ArticleIn:
    """An article as received, checked."""

    body: str
    title: str = ""
    source: str = ""
    published: str | None = None  # ISO 8601, UTC
    language: str | None = None
    id: str | None = None
    where: str = ""  # where it came from, for messages: "news.csv, line 4"

    def key(self) -> str:
        if self.id:
            return f"id:{self.source}:{self.id}"[:100]
        return "sha256:" + hashlib.sha256(canonical({"title": self.title, "body": self.body})).hexdigest()

    def content(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "body": self.body,
            "published": self.published,
            "language": self.language,
        }

    def content_hash(self) -> str:
        return hashlib.sha256(canonical(self.content())).hexdigest()

    def article(self) -> Article:
        pub = datetime.fromisoformat(self.published.replace("Z", "+00:00")) if self.published else None
        return Article(
            body=self.body, title=self.title, source=self.source, published=pub, language=self.language, id=self.id
        )


_ALIASES = {
    "id": ("id", "unit_id", "article_id", "message_id"),
    "title": ("title", "article_title", "headline"),
    "body": ("body", "article_content", "text", "content", "message"),
    "source": ("source", "sender", "channel"),
    "published": ("published", "published_at", "sent_at", "time", "date"),
    "language": ("language", "lang"),
}


def _parse_time(value: str, where: str) -> str:
    s = value.strip()
    for fmt in ("%m/%d/%y", "%d.%m.%Y"):
        try:
            return _utc_text(datetime.strptime(s, fmt).replace(tzinfo=UTC))
        except ValueError:
            pass
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{where}: published: '{value}' is not a date or time (use ISO 8601, e.g. 2017-04-16T09:00:00Z)",
            field="published",
        ) from None
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    if dt > times.now_dt():
        raise ValidationFailed(f"{where}: published: {dt.isoformat()} is in the future", field="published")
    return _utc_text(dt)


def _utc_text(dt: datetime) -> str:
    """ISO 8601 in UTC with a four-digit year (strftime's %Y writes year 2 as '2', which fromisoformat refuses)."""
    return dt.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def article_from(data: dict[str, Any], where: str) -> ArticleIn:
    """An article from a mapping (a JSON object, a CSV row), with a clear error naming where and why."""
    if not isinstance(data, dict):
        raise ValidationFailed(f"{where}: an article is a JSON object with at least a body", field="body")
    got: dict[str, str] = {}
    for name, keys in _ALIASES.items():
        for k in keys:
            v = data.get(k)
            if v is not None and str(v).strip():
                got[name] = str(v)
                break
    body = got.get("body", "").strip()
    if not body:
        raise ValidationFailed(f"{where}: the article has no body (give 'body' or 'text')", field="body")
    if len(body) > MAX_BODY:
        raise ValidationFailed(f"{where}: the body is longer than {MAX_BODY} characters", field="body")
    lang = got.get("language")
    if lang is not None and lang not in ("en", "ar"):
        raise ValidationFailed(f"{where}: language: '{lang}' is not one of en, ar", field="language")
    published = _parse_time(got["published"], where) if "published" in got else None
    return ArticleIn(
        body=body,
        title=got.get("title", "").strip(),
        source=got.get("source", "").strip(),
        published=published,
        language=lang,
        id=got.get("id"),
        where=where,
    )


def _text_of(data: bytes, name: str) -> str:
    if not data.strip():
        raise ValidationFailed(f"{name}: the file is empty", field="file")
    if b"\x00" in data[:8192]:
        raise ValidationFailed(f"{name}: a binary file, not text (CSV, JSON Lines, JSON or plain text)", field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValidationFailed(f"{name}: not UTF-8 text (byte {e.start} cannot be read)", field="file") from None


def read_one(data: bytes, name: str) -> ArticleIn:
    """One article: a JSON object, or plain text (the message body; the first line as title when followed
    by a blank line)."""
    text = _text_of(data, name)
    s = text.strip()
    if s.startswith("{"):
        try:
            obj = json.loads(s)
        except ValueError as e:
            raise ValidationFailed(f"{name}: not valid JSON ({e})", field="file") from None
        return article_from(obj, name)
    title, sep, rest = s.partition("\n\n")
    if sep and "\n" not in title and len(title) < 300 and rest.strip():
        return article_from({"title": title, "body": rest}, name)
    return article_from({"body": s}, name)


@dataclass
class Reading:
    """How far the reading of a file got: bytes and articles read (for the progress bar, and to show that
    a file is streamed: `add` records how many articles were read but not yet written at most)."""

    size: int = 0
    bytes: int = 0
    rows: int = 0


def _lines(fb: Any, reading: Reading, name: str) -> Iterator[str]:
    """The lines of a binary file as text, one at a time, counting the bytes read."""
    first = True
    for raw in fb:
        at = reading.bytes
        reading.bytes += len(raw)
        if first:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
            first = False
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as e:
            where = at + e.start
            raise ValidationFailed(f"{name}: not UTF-8 text (byte {where} cannot be read)", field="file") from None


def iter_file(path: Path, reading: Reading | None = None) -> Iterator[ArticleIn]:
    """The articles of a CSV (a header with a body column: body, text or article_content), a JSON Lines
    file, or a JSON list, read one by one: a CSV or JSON Lines file is streamed (one row in memory at a
    time), a JSON list is read whole. Errors name the file and line."""
    name = path.name
    r = reading if reading is not None else Reading()
    try:
        r.size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8192)
            while head and not head.strip():  # leading blank space: look further, a block at a time
                more = fh.read(8192)
                if not more:
                    break
                head = more
    except OSError as e:
        raise ValidationFailed(f"{path}: cannot be read ({e.strerror})", field="file") from None
    _text_of(head, name)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("rb") as fb:
            try:
                reader = csv.DictReader(_lines(fb, r, name))
                cols = reader.fieldnames or []
                if not any(c in cols for c in _ALIASES["body"]):
                    raise ValidationFailed(
                        f"{name}: no body column (one of {', '.join(_ALIASES['body'])}); has {', '.join(cols)}",
                        field="file",
                    )
                for row in reader:
                    r.rows += 1
                    yield article_from(row, f"{name}, line {reader.line_num}")
            except csv.Error as e:
                raise ValidationFailed(f"{name}: not a readable CSV ({e})", field="file") from None
    elif suffix in (".jsonl", ".ndjson"):
        with path.open("rb") as fb:
            for i, line in enumerate(_lines(fb, r, name), start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    raise ValidationFailed(f"{name}, line {i}: not valid JSON ({e})", field="file") from None
                r.rows += 1
                yield article_from(obj, f"{name}, line {i}")
    elif suffix == ".json":
        text = _text_of(path.read_bytes(), name)
        r.bytes = r.size
        try:
            obj = json.loads(text)
        except ValueError as e:
            raise ValidationFailed(f"{name}: not valid JSON ({e})", field="file") from None
        items = obj if isinstance(obj, list) else [obj]
        for i, o in enumerate(items, start=1):
            r.rows += 1
            yield article_from(o, f"{name}, item {i}")
    else:
        raise ValidationFailed(f"{name}: unknown file type '{suffix}' (use .csv, .jsonl or .json)", field="file")


def import_file(
    app: Any, conn: Connection, actor: Actor, path: Path, progress: Any = None, reading: Reading | None = None
) -> AddResult:
    """Import a file as it is read: each article read, extracted and added in turn, one ledger entry per
    batch, so that memory stays flat whatever the size of the file. A bad line raises (the caller's
    transaction rolls back: nothing is written). ``progress(reading)`` after each article."""
    r = reading if reading is not None else Reading()
    items = (prepare(a) for a in iter_file(path, r))
    step = (lambda: progress(r)) if progress else None
    res = add(app, conn, actor, items, channel="import", progress=step, reading=r)
    if not res.added and not res.duplicates:
        raise ValidationFailed(f"{path.name}: no articles", field="file")
    return res


# --------------------------------------------------------------------------------------------------------
# From an extraction to a proposed report
# --------------------------------------------------------------------------------------------------------


def proposal_of(x: Extraction, a: ArticleIn, received_at: str) -> tuple[dict[str, Any], list[str]]:
    """The report an extraction proposes (ReportIn fields), and notes on what is missing."""
    notes: list[str] = []
    if x.date.value:
        occurred, precision = f"{x.date.value}T00:00:00Z", x.date_precision
    else:
        base = a.published or received_at
        occurred, precision = base[:10] + "T00:00:00Z", "week"
        notes.append("no date found: the publication (or receipt) day, with precision week")
    data: dict[str, Any] = {
        "source_kind": "media",
        "occurred_at": occurred,
        "occurred_precision": precision,
        "violation_type": rules.report_violation_type(x.violation_type.value),
        "narrative": ((a.title + "\n\n") if a.title else "") + a.body[:19_000],
        "language": x.language,
        "observation": "second_hand",
    }
    if x.place.value:
        gaz = Gazetteer.bundled()
        pl = x.place.value
        res = gaz.resolve(pl["name"], adm1=pl["adm1_pcode"]) or gaz.area(pl["adm1_pcode"])
        data.update({"place_name": pl["name"], "lat": res.lat, "lon": res.lon, "location_precision": res.precision})
    else:
        notes.append("no place found: a reviewer must give one")
    if x.party.value:
        pid = x.party.value
        data["alleged_party"] = pid if rules.party_kind(pid) else (x.party.evidence or pid)
    cas = {k: int(x.casualties[k].value) for k in CASUALTY_KEYS if k in x.casualties}
    if cas:
        data["casualties"] = cas
    return data, notes


def _field_view(x: Extraction) -> dict[str, Any]:
    """Each field with its value, evidence words and confidence."""
    out: dict[str, Any] = {
        "date": {
            "value": x.date.value,
            "precision": x.date_precision,
            "evidence": x.date.evidence,
            "confidence": x.date.confidence,
        },
        "place": {"value": x.place.value, "evidence": x.place.evidence, "confidence": x.place.confidence},
        "party": {"value": x.party.value, "evidence": x.party.evidence, "confidence": x.party.confidence},
        "violation_type": {
            "value": x.violation_type.value,
            "evidence": x.violation_type.evidence,
            "confidence": x.violation_type.confidence,
        },
        "casualties": {
            k: {"value": f.value, "evidence": f.evidence, "confidence": f.confidence} for k, f in x.casualties.items()
        },
        "language": x.language,
        "published": x.published,
    }
    return out


def _likely_incident(conn: Connection, actor: Actor, data: dict[str, Any]) -> tuple[int | None, float | None, str]:
    if data.get("lat") is None:
        return None, None, "none"
    try:
        rec, _, _ = reports.normalise(conn, actor, data, [], business_now())
    except TruceError:
        return None, None, "none"
    m = matching.match_report(conn, rec)
    if m.how == "auto" and m.incident is not None:
        return int(m.incident), round(float(m.score or 0.0), 3), "auto"
    if m.suggestions:
        best = max(m.suggestions, key=lambda s: s.score)
        return int(best.incident), round(float(best.score), 3), "suggested"
    return None, None, "none"


# --------------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------------


@dataclass
class AddResult:
    added: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    ledger_seqs: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    most_in_flight: int = 0  # with a Reading: the most articles read from the file and not yet written

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "ledger_seqs": self.ledger_seqs,
            "notes": self.notes,
        }


def prepare(a: ArticleIn) -> tuple[ArticleIn, Extraction]:
    """The extraction of an article (no database needed: run before the write transaction)."""
    return a, extract(a.article())


def add(
    app: Any,
    conn: Connection,
    actor: Actor,
    items: Iterable[tuple[ArticleIn, Extraction]],
    channel: str = "file",
    progress: Any = None,
    reading: Reading | None = None,
) -> AddResult:
    """Create candidates from extracted articles, in batches of one ledger entry each. The same article
    again is skipped; the same article id with other content is refused (nothing of the call is written:
    the caller's transaction rolls back)."""
    require(actor, "intake.add")
    res = AddResult()
    received = business_now()
    next_id = int(conn.execute(select(func.coalesce(func.max(cand.c.id), 0))).scalar_one()) + 1
    batch: list[dict[str, Any]] = []
    # the articles of this batch: their hash, and their candidate if received before this call (the articles
    # of earlier batches are in the table already)
    seen: dict[str, tuple[str, int | None]] = {}
    first_id = next_id
    handled = written = 0  # articles taken from `items`; of those, the ones written (or skipped) already

    def flush() -> None:
        nonlocal written
        if batch:
            seq, _ = app.record(conn, actor, "intake.add", {"channel": channel, "candidates": list(batch)})
            res.ledger_seqs.append(seq)
            batch.clear()
        seen.clear()
        written = handled

    for a, x in items:
        if reading is not None:
            res.most_in_flight = max(res.most_in_flight, reading.rows - written)
        if handled - written >= BATCH:
            flush()
        handled += 1
        key, chash = a.key(), a.content_hash()
        if key in seen:  # the same article twice in this batch
            if seen[key][0] != chash:
                raise Conflict(f"{a.where}: article {key} appears twice with different content", field="id")
            earlier = seen[key][1]
            if earlier is not None:
                res.duplicates.append(earlier)
            continue
        old = conn.execute(select(cand.c.id, cand.c.content_hash).where(cand.c.article_key == key)).first()
        seen[key] = (chash, None if old is None or old.id >= first_id else int(old.id))
        if old is not None:
            if old.content_hash != chash:
                what = "appears twice" if old.id >= first_id else f"was already received (candidate {old.id})"
                raise Conflict(f"{a.where}: article {key} {what} with different content", field="id")
            if old.id >= first_id:  # the same article twice in this call (in an earlier batch): skipped
                continue
            res.duplicates.append(int(old.id))
            if progress is not None:
                progress()
            continue
        blob = app.blobs.put_bytes(canonical(a.content()))
        data, notes = proposal_of(x, a, received)
        inc, score, how = _likely_incident(conn, actor, data)
        cid = next_id
        next_id += 1
        batch.append(
            {
                "id": cid,
                "article_key": key,
                "content_hash": chash,
                "blob_sha256": blob,
                "channel": channel,
                "source": a.source or None,
                "title": a.title or None,
                "body": a.body,
                "language": x.language,
                "published": a.published or (f"{x.published}T00:00:00Z" if x.published else None),
                "received_at": received,
                "received_by": actor.name,
                "org_id": actor.org,
                "extraction": _field_view(x),
                "proposal": data,
                "notes": notes,
                "likely_incident_id": inc,
                "match_score": score,
                "match_how": how,
            }
        )
        res.added.append(cid)
        if progress is not None:
            progress()
    flush()
    return res


def _candidate(conn: Connection, cid: int) -> Any:
    row = conn.execute(select(cand).where(cand.c.id == cid)).mappings().first()
    if row is None:
        raise NotFound(f"id: no intake candidate {cid}", field="id")
    return row


def _refuse_decided(row: Any) -> None:
    """A different decision on a decided candidate: refused, naming who decided it and when."""
    raise Conflict(
        f"id: candidate {row['id']} was already {row['status']} by {row['decided_by']} at {row['decided_at']}"
        + (f", report {row['report_id']}" if row["report_id"] else "")
        + "; a decision is final",
        field="id",
    )


def clean_edits(edits: dict[str, Any]) -> dict[str, Any]:
    """The reviewer's corrections, checked: known fields of the right type."""
    out: dict[str, Any] = {}
    for k, v in edits.items():
        if k not in EDITABLE:
            raise ValidationFailed(
                f"edits.{k}: not a field a reviewer corrects (one of {', '.join(EDITABLE)})", field=f"edits.{k}"
            )
        if v is None or v == "":
            out[k] = None
            continue
        try:
            val = EDITABLE[k](v)
        except (TypeError, ValueError):
            raise ValidationFailed(f"edits.{k}: '{v}' is not a {EDITABLE[k].__name__}", field=f"edits.{k}") from None
        if isinstance(val, int) and val < 0:
            raise ValidationFailed(f"edits.{k}: {val} is negative", field=f"edits.{k}")
        out[k] = val
    return out


def report_data(proposal: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(json.dumps(proposal))
    cas = dict(data.get("casualties") or {})
    for k, v in edits.items():
        if k in CASUALTY_KEYS:
            if v is None:
                cas.pop(k, None)
            else:
                cas[k] = v
        elif v is None:
            data.pop(k, None)
        else:
            data[k] = v
    if "place_name" in edits and "lat" not in edits:  # a new place name: located by the gazetteer again
        data.pop("lat", None)
        data.pop("lon", None)
        data.pop("location_precision", None)
    data["casualties"] = cas
    return data


@dataclass
class Decision:
    id: int
    status: str
    ledger_seq: int
    report_id: str | None = None
    incident_id: int | None = None
    edits: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    repeated: bool = False  # the same decision again: nothing written, the first one's result

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "ledger_seq": self.ledger_seq,
            "report_id": self.report_id,
            "incident_id": self.incident_id,
            "edits": self.edits,
            "notes": self.notes,
            "repeated": self.repeated,
        }


def accept(app: Any, conn: Connection, actor: Actor, cid: int, edits: dict[str, Any] | None = None) -> Decision:
    """Accept a candidate (with corrections): it becomes a report of source kind media through the reports
    service, the article kept as its evidence; the decision and the edits are a ledger entry. The same
    decision again (the same reviewer, the same corrections: a retry) writes nothing and returns the first
    result; another decision on a decided candidate is refused, naming who decided it."""
    require(actor, "intake.decide")
    row = _candidate(conn, cid)
    ed = clean_edits(edits or {})
    proposal = json.loads(row["proposal"])
    changes = {k: [_proposed(proposal, k), v] for k, v in ed.items() if _proposed(proposal, k) != v}
    if row["status"] != "pending":
        # A retry (the same reviewer accepting with the same corrections) gets the first answer back.
        if (
            row["status"] == "accepted"
            and row["decided_by"] == actor.name
            and json.loads(row["edits"] or "{}") == json.loads(json.dumps(changes))
        ):
            inc = conn.execute(
                select(incident_reports.c.incident_id).where(incident_reports.c.report_id == row["report_id"])
            ).scalar()
            return Decision(
                cid, "accepted", int(row["decision_seq"]), row["report_id"], inc, changes, [], repeated=True
            )
        _refuse_decided(row)
    data = report_data(proposal, ed)
    data["id"] = str(uuid.uuid5(REPORT_NS, f"{row['article_key']}#{cid}"))
    article = app.blobs.read(row["blob_sha256"])
    ev = reports.EvidenceFile(name=f"intake-article-{cid}.json", data=article, media_type="application/json")
    sub = reports.submit(app, conn, actor, data, [ev])
    seq, _ = app.record(
        conn,
        actor,
        "intake.accept",
        {"id": cid, "report_id": sub.report_id, "incident_id": sub.incident_id, "edits": changes},
    )
    return Decision(cid, "accepted", seq, sub.report_id, sub.incident_id, changes, sub.notes)


def _proposed(proposal: dict[str, Any], k: str) -> Any:
    if k in CASUALTY_KEYS:
        return (proposal.get("casualties") or {}).get(k)
    return proposal.get(k)


def reject(app: Any, conn: Connection, actor: Actor, cid: int, reason: str) -> Decision:
    """Reject a candidate, with a reason (a ledger entry). The same rejection again (the same reviewer and
    reason: a retry) writes nothing and returns the first result; another decision is refused."""
    require(actor, "intake.decide")
    row = _candidate(conn, cid)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("reason: say why the candidate is rejected", field="reason")
    if len(reason) > 2000:
        raise ValidationFailed("reason: at most 2000 characters", field="reason")
    if row["status"] != "pending":
        if row["status"] == "rejected" and row["decided_by"] == actor.name and row["reason"] == reason:
            return Decision(cid, "rejected", int(row["decision_seq"]), repeated=True)
        _refuse_decided(row)
    seq, _ = app.record(conn, actor, "intake.reject", {"id": cid, "reason": reason})
    return Decision(cid, "rejected", seq)


# --------------------------------------------------------------------------------------------------------
# Appliers
# --------------------------------------------------------------------------------------------------------


@applier("intake.add")
def _apply_add(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    rows = []
    for c in p["candidates"]:
        row = {
            k: c.get(k)
            for k in (
                "id",
                "article_key",
                "content_hash",
                "blob_sha256",
                "channel",
                "source",
                "title",
                "body",
                "language",
                "published",
                "received_at",
                "received_by",
                "org_id",
                "likely_incident_id",
                "match_score",
                "match_how",
            )
        }
        row["extraction"] = json.dumps(
            {**c["extraction"], "notes": c.get("notes", [])}, ensure_ascii=False, sort_keys=True
        )
        row["proposal"] = json.dumps(c["proposal"], ensure_ascii=False, sort_keys=True)
        row["status"] = "pending"
        row["ledger_seq"] = ctx.seq
        rows.append(row)
    if rows:
        conn.execute(insert(cand), rows)


@applier("intake.accept")
def _apply_accept(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        update(cand)
        .where(cand.c.id == p["id"])
        .values(
            status="accepted",
            decided_by=ctx.actor,
            decided_at=ctx.now,
            report_id=p["report_id"],
            edits=json.dumps(p.get("edits") or {}, ensure_ascii=False, sort_keys=True),
            decision_seq=ctx.seq,
        )
    )


@applier("intake.reject")
def _apply_reject(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        update(cand)
        .where(cand.c.id == p["id"])
        .values(
            status="rejected",
            decided_by=ctx.actor,
            decided_at=ctx.now,
            reason=p["reason"],
            decision_seq=ctx.seq,
        )
    )
