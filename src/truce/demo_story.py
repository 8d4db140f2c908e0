"""The story of 2017 that `truce demo` plays: the steps of `scenarios/astana-2017-story.yaml`, each through its
service (so each is a ledger entry; the business clock stands at the step's date while it plays, so that its
decisions, notifications, deadlines and publications carry the story's dates: truce.times.standing_at).

Where no public record exists a step is SIMULATED and marked so: its reports carry the simulated flag and a
"[SIMULATED]" narrative, its decisions say "simulated for the demo" in their reason or note. The story is played
once: a database that holds the demo's clock (truce.clock) has played it already."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from truce import times
from truce.auth.service import get_actor
from truce.bulletins import service as bulletins
from truce.clock import store_today, stored_today
from truce.eligibility.service import report_position
from truce.errors import TruceError
from truce.incidents.verification import add_finding
from truce.investigations.service import deny_access, open_investigation
from truce.ledger.chain import Actor
from truce.ledger.context import App
from truce.measures import service as measures
from truce.measures.models import measures as measures_table
from truce.parties.service import change_status
from truce.reports.service import submit
from truce.zones.service import unite_zone

STORY_NAMESPACE = uuid.UUID("6f1d2b9e-0c4a-4e57-9a7e-2b1f6c3d8e40")


def bundled_story() -> Path:
    return Path(str(resources.files("truce.scenarios").joinpath("astana-2017-story.yaml")))


def load_story(path: str | Path | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(Path(path or bundled_story()).read_text(encoding="utf-8"))
    doc["today"] = times.day(str(doc["today"]), "today")
    last = ""
    for n, step in enumerate(doc["steps"], 1):
        step["date"] = str(step["date"])
        if step["kind"] not in STEPS:
            raise ValueError(f"story step {n}: kind '{step['kind']}' is not one of {', '.join(STEPS)}")
        if step["date"][:10] > doc["today"]:
            raise ValueError(f"story step {n} ({step['kind']}) is dated after the story's last day {doc['today']}")
        if step["date"][:10] < last:
            raise ValueError(f"story step {n} ({step['kind']}) is dated before the step above it ({last})")
        last = step["date"][:10]
    return doc


@contextmanager
def running_as_of(day: str) -> Iterator[None]:
    """The business clock stands on `day` inside the block (TRUCE_TODAY), as it was afterwards."""
    before = os.environ.get(times.TODAY_ENV)
    os.environ[times.TODAY_ENV] = day
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(times.TODAY_ENV, None)
        else:
            os.environ[times.TODAY_ENV] = before


@dataclass
class Play:
    app: App
    story: dict[str, Any]
    key_files: Callable[[], dict[str, Path]]
    keys: dict[str, Any] = field(default_factory=dict)  # step key -> incident, investigation or application id
    counts: dict[str, int] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)
    conn: Any = None

    @property
    def note(self) -> str:
        return str(self.story.get("simulated_note") or "simulated for the demo")

    def why(self, text: str) -> str:
        return f"{text} ({self.note})"

    @contextmanager
    def write(self) -> Iterator[Any]:
        """The story's one write transaction (one commit, one sync to disk, for the whole story)."""
        assert self.conn is not None
        yield self.conn


def play_story(
    app: App, key_files: Callable[[], dict[str, Path]], path: str | Path | None = None, progress: Any = None
) -> dict[str, Any]:
    """Play the story once; returns what it did (counts per kind of step, the refusals it expected)."""
    story = load_story(path)
    with app.read() as conn:
        if stored_today(conn):
            return {"played": False, "today": stored_today(conn), "counts": {}, "refusals": []}
    play = Play(app, story, key_files)
    files = key_files()  # made (and recorded) before the story's transaction: it writes the key files
    play.key_files = lambda: files
    task = progress.add_task("playing the story of 2017", total=len(story["steps"])) if progress else None
    with app.write() as conn:
        play.conn = conn
        for step in story["steps"]:
            with times.standing_at(step["date"]):  # the step's decisions carry its date, not the machine's
                STEPS[step["kind"]](play, step)
            play.counts[step["kind"]] = play.counts.get(step["kind"], 0) + 1
            if progress and task is not None:
                progress.advance(task)
        store_today(conn, story["today"])
    return {"played": True, "today": story["today"], "counts": play.counts, "refusals": play.refusals}


def _actor(conn: Any, name: str) -> Actor:
    return get_actor(conn, name)


def _status(play: Play, s: dict[str, Any]) -> None:
    with play.write() as conn:
        change_status(play.app, conn, _actor(conn, s["actor"]), s["party"], s["status"], s["date"][:10],
                      play.why(s["reason"]), decision=s.get("decision") or "joint group's decision")


def _zone_unite(play: Play, s: dict[str, Any]) -> None:
    with play.write() as conn:
        unite_zone(play.app, conn, _actor(conn, s["actor"]), s["zone"], s["date"][:10], adm=list(s["adm"]),
                   reason=play.why(s["reason"]))


def _position(play: Play, s: dict[str, Any]) -> None:
    with play.write() as conn:
        report_position(play.app, conn, _actor(conn, s["actor"]), s["party"], s["date"][:10], s["lat"], s["lon"],
                        place_name=s.get("place"), note="[SIMULATED] position report", simulated=True)


def _report(play: Play, s: dict[str, Any]) -> None:
    with play.write() as conn:
        actor = _actor(conn, s["actor"])
        killed = {k: int(s[k]) for k in ("killed", "killed_civilian", "injured") if k in s}
        data: dict[str, Any] = {
            "id": str(uuid.uuid5(STORY_NAMESPACE, f"{s['date']}:{s['actor']}:{s.get('key') or s.get('incident')}")),
            "occurred_at": times.normalise(s["date"]),
            "occurred_precision": "exact",
            "lat": s["lat"],
            "lon": s["lon"],
            "location_precision": "exact",
            "place_name": s["place"],
            "violation_type": s["type"],
            "alleged_party": s["party"],
            "casualties": killed,
            "narrative": f"[SIMULATED] {actor.org} report: {s['narrative']}.",
            "language": "en",
            "observation": "observed",
            "simulated": True,
        }
        if s.get("incident"):
            data["incident_id"] = play.keys[s["incident"]]
        res = submit(play.app, conn, actor, data)
        if s.get("key"):
            play.keys[s["key"]] = res.incident_id


def _finding(play: Play, s: dict[str, Any]) -> None:
    with play.write() as conn:
        add_finding(play.app, conn, _actor(conn, s["actor"]), play.keys[s["incident"]], s["finding"], s["reason"],
                    f"[SIMULATED] {play.note}", s.get("party"), on=s["date"][:10])


def _investigation_open(play: Play, s: dict[str, Any]) -> None:
    with play.write() as conn:
        inv = open_investigation(play.app, conn, _actor(conn, s["actor"]), play.keys[s["incident"]],
                                 at=times.normalise(s["date"]))
    play.keys[s["key"]] = inv["id"]


def _access_denied(play: Play, s: dict[str, Any]) -> None:
    with play.write() as conn:
        deny_access(play.app, conn, _actor(conn, s["actor"]), play.keys[s["investigation"]], s["party"],
                    f"[SIMULATED] {s['site']}", at=times.normalise(s["date"]), note=play.why(s["note"]))


def _evaluate(play: Play, s: dict[str, Any]) -> None:
    with play.write() as conn:
        measures.evaluate(play.app, conn, _actor(conn, s["actor"]), as_of=s["date"][:10])


def _measure_vote(play: Play, s: dict[str, Any]) -> None:
    with play.write() as conn:
        mid = conn.execute(
            select(measures_table.c.id)
            .where(measures_table.c.party_id == s["party"], measures_table.c.step == int(s["step"]),
                   measures_table.c.status == "proposed")
            .order_by(measures_table.c.id.desc())
        ).scalar()
        if mid is None:
            raise TruceError(f"story: no proposed measure of step {s['step']} for {s['party']} on {s['date']}")
        measures.decide_measure(play.app, conn, _actor(conn, s["actor"]), mid, bool(s["approve"]),
                                play.why(s["reason"]), on=s["date"][:10])


def _accession_apply(play: Play, s: dict[str, Any]) -> None:
    with play.write() as conn:
        res = measures.apply_accession(play.app, conn, _actor(conn, s["actor"]), s["party"], on=s["date"][:10])
    play.keys[s["key"]] = res["id"]


def _accession_vote(play: Play, s: dict[str, Any]) -> None:
    try:  # a refusal writes nothing (the service refuses before it records), so the transaction goes on
        with play.write() as conn:
            measures.decide_accession(play.app, conn, _actor(conn, s["actor"]), play.keys[s["application"]],
                                      bool(s["approve"]), play.why(s["reason"]), on=s["date"][:10])
    except TruceError as e:
        if not s.get("expect_refusal"):
            raise
        play.refusals.append(f"{s['date'][:10]} {s['actor']}: {e.message}")
        return
    if s.get("expect_refusal"):
        raise TruceError(f"story: the vote of {s['actor']} on {s['date']} should have been refused")


def _bulletins(play: Play, s: dict[str, Any]) -> None:
    """Publish the bulletin of each day from..to and have each signer's office sign it."""
    files = play.key_files()
    day = str(s["from"])
    while day <= str(s["to"]):
        with play.write() as conn:
            bulletins.publish(play.app, conn, _actor(conn, s["actor"]), day)
        for signer in s["signers"]:
            with play.write() as conn:
                actor = _actor(conn, signer)
                bulletins.sign(play.app, conn, actor, day, actor.org, key_file=files[actor.org])
        day = times.add_days(day + "T00:00:00Z", 1)[:10]


STEPS: dict[str, Callable[[Play, dict[str, Any]], None]] = {
    "status": _status,
    "zone_unite": _zone_unite,
    "position": _position,
    "report": _report,
    "finding": _finding,
    "investigation_open": _investigation_open,
    "access_denied": _access_denied,
    "evaluate": _evaluate,
    "measure_vote": _measure_vote,
    "accession_apply": _accession_apply,
    "accession_vote": _accession_vote,
    "bulletins": _bulletins,
}
