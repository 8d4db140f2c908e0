"""Agreement files are validated when loaded: an unknown criterion kind, measure rung, clause reference or
setting is refused with its line and the allowed values, and nothing is written."""

from __future__ import annotations

import pytest
from tests.helpers import ledger_count
from typer.testing import CliRunner

from truce.agreements.documents import CRITERION_PARAMS, RUNG_KINDS
from truce.app import Truce
from truce.cli import app as cli
from truce.eligibility.service import KINDS
from truce.errors import ValidationFailed
from truce.scenario import bundled_scenario, read

runner = CliRunner()
BUNDLED = bundled_scenario().read_text("utf-8")
ANCHOR = "  decision_rule: unanimity  # the Joint Group acts by consensus of the three guarantors\n"

ELIGIBILITY = """  eligibility:
    version: 1
    title: Criteria
    criteria:
      - {id: E1, kind: not_designated, authorities: [UNSC], text: not listed}
      - {id: E2, kind: no_joint_operation, days: 90, text: no joint operations}
"""
MEASURES = """  measures:
    window_days: 30
    weights: {grave: 3, minor: 1, access_denial: 2}
    ladder:
      - {step: 1, kind: notice, deadline_days: 7}
      - {step: 2, kind: warning, deadline_days: 14}
    rules:
      - {id: R1, step: 1, min_points: 3}
"""
RULE_STEP = """  measures:
    window_days: 30
    weights: {grave: 3, minor: 1, access_denial: 2}
    ladder:
      - {step: 1, kind: notice, deadline_days: 7}
    rules:
      - {id: R1, step: 1, min_points: 3}
      - {id: R2, step: 7, min_points: 9}
"""
SETTING = """  settings:
    match_window_hours: 6
    match_radius_kms: 5
"""
PARAM = """  eligibility:
    criteria:
      - {id: E1, kind: separation_km, km: 5, days: 30}
      - {id: E2, kind: truce_status, statuses: [signatory], km: 3}
"""


def _write(tmp_path, text: str):
    f = tmp_path / "scenario.yaml"
    f.write_text(text, "utf-8")
    return f


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


CASES = [
    # (name, edit of the bundled file, the line's marker, words the refusal must contain)
    ("criterion kind", lambda t: t.replace(ANCHOR, ANCHOR + ELIGIBILITY), "no_joint_operation,",
     ["agreement.eligibility.criteria[1].kind", "'no_joint_operation' is not an eligibility criterion kind",
      "allowed: not_designated, truce_status, no_joint_operations, separation_km, max_grave_violations"]),
    ("measure rung", lambda t: t.replace(ANCHOR, ANCHOR + MEASURES), "kind: warning",
     ["agreement.measures.ladder[1].kind", "'warning' is not a measure rung",
      "allowed: notice, formal_demand, joint_inspection, suspension, exclusion"]),
    ("rule's rung", lambda t: t.replace(ANCHOR, ANCHOR + RULE_STEP), "step: 7",
     ["agreement.measures.rules[1].step", "rule R2: step 7 is not a rung of the ladder; rungs: 1"]),
    ("clause reference", lambda t: t.replace("excluded_parties: [ISIL, NUSRA]", "excluded_parties: [ISIL, NUSRAH]"),
     "excluded_parties: [ISIL, NUSRAH]",
     ["agreement.clauses[3].excluded_parties[1]", "clause C4: 'NUSRAH' is not a party of the scenario",
      "parties: RUS, TUR, IRN, SYR"]),
    ("setting", lambda t: t.replace(ANCHOR, ANCHOR + SETTING), "match_radius_kms",
     ["agreement.settings.match_radius_kms", "unknown key 'match_radius_kms'",
      "allowed: match_window_hours, match_radius_km, reply_window_days, own_reports_verify, severity, measures, "
      "eligibility"]),
    ("parameter of another kind", lambda t: t.replace(ANCHOR, ANCHOR + PARAM), "statuses: [signatory], km: 3",
     ["agreement.eligibility.criteria[1].km",
      "'km' is not a parameter of kind truce_status; its parameters: statuses"]),
    ("violation type", lambda t: t.replace("prohibited: [troop_movement,", "prohibited: [troop_movements,"),
     "troop_movements",
     ["agreement.clauses[1].prohibited[0]", "'troop_movements' is not a violation type", "shelling"]),
    ("decision rule", lambda t: t.replace(ANCHOR, "  decision_rule: consensus\n"), "decision_rule: consensus",
     ["agreement.decision_rule", "'consensus' is not a decision rule; allowed: unanimity, majority"]),
    ("missing title", lambda t: t.replace("  title: Memorandum", "  name: Memorandum"), "  name: Memorandum",
     ["agreement.name", "unknown key 'name'; allowed: id, title,"]),
    ("party kind", lambda t: t.replace("\nzones:", "  - {id: XX, name: X, kind: militia}\n\nzones:"),
     "kind: militia", ["parties[13].kind", "'militia' is not a party kind; allowed: guarantor, government"]),
]


@pytest.mark.parametrize(("edit", "marker", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_scenario_is_refused_with_its_line_and_the_allowed_values(tmp_path, edit, marker, words):
    text = edit(BUNDLED)
    assert text != BUNDLED
    f = _write(tmp_path, text)
    with pytest.raises(ValidationFailed) as e:
        read(f)
    line = _line_of(text, marker)
    assert f"{f}, line {line}: " in e.value.message, e.value.message
    for w in words:
        assert w in e.value.message, e.value.message


def test_a_scenario_without_title_is_refused_not_a_traceback(tmp_path, db_url):
    """A scenario whose agreement lacks `title` (once a KeyError): the CLI prints one error line, exits 2,
    and writes nothing (the admin areas are not loaded either)."""
    title = "  title: Memorandum on the creation of de-escalation areas in the Syrian Arab Republic\n"
    text = BUNDLED.replace(title, "")
    f = _write(tmp_path, text)
    before = ledger_count(Truce(db_url))
    r = runner.invoke(cli, ["scenario", "load", str(f), "--db", db_url])
    assert r.exit_code == 2, r.output
    assert "line 7: agreement.title: required, missing" in r.output  # line 7: `agreement:`
    assert "Traceback" not in r.output
    assert ledger_count(Truce(db_url)) == before


def test_not_yaml_and_binary_files_are_refused(tmp_path):
    bad = _write(tmp_path, "agreement:\n  id: [unclosed\n")
    with pytest.raises(ValidationFailed, match=r"line \d+: not valid YAML"):
        read(bad)
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(ValidationFailed, match="UTF-8|binary"):
        read(binary)
    with pytest.raises(ValidationFailed, match="mapping"):
        read(_write(tmp_path, "- just\n- a list\n"))


def test_an_agreement_version_with_an_unknown_kind_is_refused_before_the_ledger(astana_url):
    """The same checks guard `add_version` (a misspelled kind once reached the ledger and came out
    'unknown' at evaluation)."""
    from truce.agreements import service as agreements
    from truce.ledger.chain import SYSTEM

    app = Truce(astana_url)
    before = ledger_count(app)
    with app.write() as conn:
        v1 = agreements.get(conn, "astana-2017")
        with pytest.raises(ValidationFailed) as e:
            agreements.add_version(
                app,
                conn,
                SYSTEM,
                {
                    **{k: v1[k] for k in ("id", "title", "guarantors", "clauses", "decision_rule", "settings")},
                    "effective": "2017-09-01",
                    "eligibility": {"criteria": [{"id": "E9", "kind": "separation_kms", "km": 5}]},
                },
            )
    assert "agreement.eligibility.criteria[0].kind: 'separation_kms' is not an eligibility criterion kind" in str(
        e.value.message
    )
    assert ledger_count(app) == before


def test_the_vocabularies_match_the_code():
    """Every criterion kind the documents accept has its function, and every rung of the default ladder is known."""
    from truce.agreements.service import default_enforcement

    assert set(CRITERION_PARAMS) == set(KINDS)
    assert {r["kind"] for r in default_enforcement()["measures"]["ladder"]} <= set(RUNG_KINDS)
