"""The rules that judge an incident, as pure functions: no database, no clock.

Verification (`incidents.verification`), the bulletin (`bulletins.compute`), the exports, the views
and `ledger verify` gather the facts (findings, reports, zones, the agreement in force) each in
their own way, and all of them hand those facts to these functions: there is one copy of each rule.

Verdict (G = the guarantors of the agreement version in force at the incident's time; a guarantor
whose own office is the only source of the incident's reports does not count: no one verifies
alone what it alone asserted, unless the agreement's setting `own_reports_verify: true` says an
impartial monitor's own observations verify (a UN or OSCE mission); E = the guarantors that
count; c, d, u = confirmed, disputed, unverifiable among E's current findings; m = members of E with no finding yet):
- unanimity: verified when every member of E confirmed; disputed when some confirmed and some
  did not; not_verified when all of E have spoken and none confirmed; else pending.
- majority: verified when c > |E|/2; pending while c + m > |E|/2 could still be reached;
  otherwise disputed when c > 0, else not_verified.
- E empty (only self-asserted findings): pending until another guarantor speaks.

Outside the agreement's period (before its first version took effect, or from its `ends` day on)
an incident is not judged, whether or not a guarantor recorded a finding on it: its verdict, breach
and severity are "before_agreement" or "after_agreement" (with the reason), and it has no
attribution or clause (`outside_judgment`). A new agreement version that moves the period judges it
again (or stops judging it).

Attribution (verified only): the party named by most counted confirming findings; none named, or a
tie between parties, gives "could_not_be_attributed".

Classification (verified only): the first clause of the version in force that prohibits the
violation type. No breach when no clause prohibits it, when the incident lies outside every zone
and the clause is not country-wide (`scope: country`: in every loaded country; `countries: [YE]`: in
those ISO 3166-1 alpha-2 countries, the first two letters of the incident's ADM1 P-code),
when it was directed against a party a clause excludes (e.g. ISIL under C4), or when it is
attributed to such an excluded party (not bound by the truce).

Severity (verified only), set per agreement in `settings.severity`: grave when civilians killed ≥
`grave_if_civilians_killed_at_least`, when the type is in `grave_types_in_zone` and the incident is
in a zone, or when the type is in `grave_types_anywhere`; else minor.

Confidence in [0, 1] = 0.40·sources + 0.20·observation + 0.15·evidence + 0.25·agreement, where
sources = 1 − 0.5^n for n independent sources (reports of one organisation count once; imported
media rows count once per external source), observation = the best mode among the reports
(observed 1.0, heard 0.7, second-hand or unknown 0.4), evidence = 1.0 when any report has
evidence else 0.5, agreement = 0.5 + 0.5·(c − d)/|G| over the counted findings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from truce.agreements.rules import DEFAULT_SETTINGS, settings_of

OBSERVATION_SCORE = {"observed": 1.0, "heard": 0.7, "second_hand": 0.4}
WEIGHTS = {"sources": 0.40, "observation": 0.20, "evidence": 0.15, "agreement": 0.25}

# The columns of `incidents` that these rules derive (what `ledger verify` recomputes).
JUDGED_FIELDS = (
    "verdict",
    "attributed_party_id",
    "attribution",
    "clause_id",
    "breach",
    "breach_reason",
    "severity",
    "severity_reason",
)


OUTSIDE_REASONS = {
    "before_agreement": "not judged: before the agreement took effect",
    "after_agreement": "not judged: after the agreement ended",
}


def outside_judgment(period: str) -> dict[str, Any]:
    """The judged fields of an incident outside the agreement's period ("before_agreement" or
    "after_agreement"): that word as its verdict, breach and severity, no attribution, no clause."""
    reason = OUTSIDE_REASONS[period]
    return {
        "verdict": period,
        "attributed_party_id": None,
        "attribution": None,
        "clause_id": None,
        "breach": period,
        "breach_reason": reason,
        "severity": period,
        "severity_reason": reason,
    }


def unjudged(period: str | None) -> dict[str, Any]:
    """The judged fields of an incident that no guarantor has a finding on: pending (nothing judged),
    or the period's word outside the agreement's period."""
    if period:
        return outside_judgment(period)
    return {**dict.fromkeys(JUDGED_FIELDS), "verdict": "pending"}


@dataclass(frozen=True)
class Finding:
    """A guarantor's current finding on an incident."""

    finding: str
    attributed_party_id: str | None = None


@dataclass(frozen=True)
class Source:
    """What the rules read of one linked report."""

    org_id: str | None
    source_kind: str | None = None
    observation: str | None = None
    external_source: str | None = None
    killed_civilian: int | None = 0


@dataclass(frozen=True)
class Facts:
    """Everything the judgment of one incident depends on."""

    violation_type: str
    agreement: dict[str, Any] | None  # the version in force on the incident's date, or None
    offices: Mapping[str, str]  # guarantor office org id -> its guarantor
    sources: Sequence[Source]
    findings: Mapping[str, Finding]  # guarantor -> current finding
    in_zone: bool
    target_party: str | None = None  # the party the act was directed against (resolved)
    designated: frozenset[str] = field(default_factory=frozenset)
    has_evidence: bool = False
    period: str | None = None  # "before_agreement"/"after_agreement" outside the agreement's period
    adm1_pcode: str | None = None  # the incident's ADM1 P-code (its country: the first two letters)


def guarantors_of(agreement: dict[str, Any] | None, offices: Mapping[str, str]) -> list[str]:
    """The guarantors whose findings count: the agreement's, else every guarantor with an office."""
    return list(agreement["guarantors"]) if agreement else sorted(set(offices.values()))


def own_only(
    offices: Mapping[str, str], source_orgs: Iterable[str | None], settings: Mapping[str, Any]
) -> set[str]:
    """The guarantor whose own office is the only source of an incident's reports: its finding does not
    count (no one verifies alone what it alone asserted), unless the agreement says its own reports verify
    (`own_reports_verify: true`, for an impartial monitor such as a UN or OSCE mission)."""
    orgs = set(source_orgs)
    if len(orgs) != 1 or settings.get("own_reports_verify") is True:
        return set()
    return {offices[o] for o in orgs if o is not None and o in offices}


def counted_guarantors(
    guarantors: Sequence[str],
    source_orgs: Iterable[str | None],
    offices: Mapping[str, str],
    settings: Mapping[str, Any] | None = None,
) -> list[str]:
    """The guarantors that count: a guarantor whose own office is the incident's only source does not
    (unless the agreement's `own_reports_verify` is true)."""
    sole = own_only(offices, source_orgs, settings or {})
    return [g for g in guarantors if g not in sole]


def decide(rule: str, counted: Sequence[str], current: Mapping[str, str]) -> str:
    """The joint verdict from the current findings of the guarantors that count."""
    n = len(counted)
    if n == 0:
        return "pending"
    vals = [current.get(g) for g in counted]
    c = sum(v == "confirmed" for v in vals)
    missing = sum(v is None for v in vals)
    if rule == "unanimity":
        if c == n:
            return "verified"
        if c > 0 and c + missing < n:
            return "disputed"
        if missing == 0:
            return "not_verified"
        return "pending"
    # majority
    if c * 2 > n:
        return "verified"
    if (c + missing) * 2 > n:
        return "pending"
    return "disputed" if c > 0 else "not_verified"


def attribute(counted: Sequence[str], findings: Mapping[str, Finding]) -> tuple[str | None, str]:
    """(party, "attributed") for the party most counted confirming findings name; a tie or no name
    gives (None, "could_not_be_attributed")."""
    named = Counter(
        findings[g].attributed_party_id
        for g in counted
        if g in findings and findings[g].finding == "confirmed" and findings[g].attributed_party_id
    )
    top = named.most_common(2)
    if top and (len(top) == 1 or top[0][1] > top[1][1]):
        return top[0][0], "attributed"
    return None, "could_not_be_attributed"


@dataclass(frozen=True)
class Verdict:
    verdict: str
    counted: list[str]
    current: dict[str, str]
    attributed_party_id: str | None
    attribution: str | None

    @property
    def confirmed_by(self) -> list[str]:
        return sorted(g for g in self.counted if self.current.get(g) == "confirmed")


def verdict_of(
    agreement: dict[str, Any] | None,
    offices: Mapping[str, str],
    source_orgs: Iterable[str | None],
    findings: Mapping[str, Finding],
) -> Verdict:
    """The verdict and the attribution of an incident (the one rule of who violated the truce)."""
    guarantors = guarantors_of(agreement, offices)
    rule = agreement["decision_rule"] if agreement else "unanimity"
    counted = counted_guarantors(guarantors, source_orgs, offices, (agreement or {}).get("settings") or {})
    current = {g: f.finding for g, f in findings.items() if g in guarantors}
    verdict = decide(rule, counted, current)
    party, how = attribute(counted, findings) if verdict == "verified" else (None, None)
    return Verdict(verdict, counted, current, party, how)


def classify(
    violation_type: str,
    agreement: dict[str, Any] | None,
    in_zone: bool,
    target_party: str | None,
    attributed: str | None,
    designated: Iterable[str],
    adm1_pcode: str | None = None,
) -> dict[str, Any]:
    """The clause an incident falls under and whether it is a breach, with the reason (a country-wide
    clause applies outside the zones too, in its countries: see `country_wide`)."""
    if agreement is None:
        return {"clause_id": None, "breach": "no_breach", "breach_reason": "no agreement in force on that date"}
    clauses = agreement["clauses"]
    excluded = {p: c["id"] for c in clauses for p in c.get("excluded_parties", [])}
    clause = next((c for c in clauses if violation_type in c.get("prohibited", [])), None)
    if clause is None:
        return {
            "clause_id": None,
            "breach": "no_breach",
            "breach_reason": f"no clause of {agreement['id']} v{agreement['version']} prohibits {violation_type}",
        }
    cid = clause["id"]
    wide = country_wide(clause, adm1_pcode)
    if not in_zone and not wide:
        return {"clause_id": cid, "breach": "no_breach", "breach_reason": "outside every zone on that date"}
    if target_party and target_party in excluded:
        return {
            "clause_id": cid,
            "breach": "no_breach",
            "breach_reason": f"directed against {target_party}, excluded by clause {excluded[target_party]}",
        }
    if attributed and (attributed in excluded or attributed in set(designated)):
        why = f"clause {excluded[attributed]}" if attributed in excluded else "its designation"
        return {
            "clause_id": cid,
            "breach": "no_breach",
            "breach_reason": f"attributed to {attributed}, not bound by the truce ({why})",
        }
    return {
        "clause_id": cid,
        "breach": "breach",
        "breach_reason": f"{violation_type} in a zone, prohibited by {cid}"
        if in_zone
        else f"{violation_type} in {wide}, prohibited country-wide by {cid}",
    }


def country_wide(clause: Mapping[str, Any], adm1_pcode: str | None) -> str | None:
    """The country in which a country-wide clause applies to an incident placed in ``adm1_pcode`` (the
    country is the P-code's first two letters, as OCHA P-codes are built), or None."""
    if not adm1_pcode or not (clause.get("scope") == "country" or clause.get("countries")):
        return None
    iso = adm1_pcode[:2].upper()
    return iso if not clause.get("countries") or iso in clause["countries"] else None


def severity(vtype: str, in_zone: bool, killed_civilians: int, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Grave or minor, with the reason, under an agreement's `settings.severity`."""
    rule = {**DEFAULT_SETTINGS["severity"], **(settings.get("severity") or {})}
    if killed_civilians >= int(rule["grave_if_civilians_killed_at_least"]):
        return {"severity": "grave", "severity_reason": f"{killed_civilians} civilians killed"}
    if vtype in rule["grave_types_anywhere"]:
        return {"severity": "grave", "severity_reason": f"{vtype} is grave wherever it happens"}
    if in_zone and vtype in rule["grave_types_in_zone"]:
        return {"severity": "grave", "severity_reason": f"{vtype} inside a zone"}
    return {"severity": "minor", "severity_reason": "no civilian killed, no heavy weapons in a zone"}


def confidence_parts(
    sources: Sequence[Any],
    has_evidence: bool,
    guarantors: Sequence[str],
    counted: Sequence[str],
    current: Mapping[str, str],
) -> dict[str, Any]:
    """The confidence of an incident and its parts (`sources` items have org_id, source_kind,
    external_source and observation)."""
    indep = {(r.org_id, r.external_source) if r.source_kind in ("media", "ngo") else (r.org_id, None) for r in sources}
    n = len(indep)
    s_sources = 1 - 0.5**n if n else 0.0
    s_obs = max([OBSERVATION_SCORE.get(r.observation or "", 0.4) for r in sources] or [0.0])
    s_ev = 1.0 if has_evidence else 0.5
    c = sum(current.get(g) == "confirmed" for g in counted)
    d = sum(current.get(g) == "disputed" for g in counted)
    s_agree = 0.5 + 0.5 * (c - d) / len(guarantors) if guarantors else 0.5
    value = (
        WEIGHTS["sources"] * s_sources
        + WEIGHTS["observation"] * s_obs
        + WEIGHTS["evidence"] * s_ev
        + WEIGHTS["agreement"] * s_agree
    )
    return {
        "value": round(value, 4),
        "independent_sources": n,
        "sources": round(s_sources, 4),
        "observation": round(s_obs, 4),
        "evidence": s_ev,
        "agreement": round(s_agree, 4),
        "weights": WEIGHTS,
        "counted_guarantors": list(counted),
    }


def judge(f: Facts) -> dict[str, Any]:
    """The whole judgment of an incident: verdict, attribution, clause and breach, severity (the last
    three only when verified), and the counted guarantors and confirmers. An incident outside the
    agreement's period is not judged, with or without findings: its verdict, breach and severity say so
    ("before_agreement"/"after_agreement", `outside_judgment`)."""
    v = verdict_of(f.agreement, f.offices, [s.org_id for s in f.sources], f.findings)
    if f.period:  # outside the agreement's period: not judged
        return {**outside_judgment(f.period), "counted": v.counted, "current": v.current,
                "confirmed_by": v.confirmed_by}
    out: dict[str, Any] = {
        "verdict": v.verdict,
        "attributed_party_id": v.attributed_party_id,
        "attribution": v.attribution,
        "clause_id": None,
        "breach": None,
        "breach_reason": None,
        "severity": None,
        "severity_reason": None,
        "counted": v.counted,
        "current": v.current,
        "confirmed_by": v.confirmed_by,
    }
    if v.verdict == "verified":
        out.update(
            classify(
                f.violation_type, f.agreement, f.in_zone, f.target_party, v.attributed_party_id, f.designated,
                f.adm1_pcode,
            )
        )
        killed_civ = max([s.killed_civilian or 0 for s in f.sources] or [0])
        out.update(severity(f.violation_type, f.in_zone, killed_civ, settings_of(f.agreement)))
    return out
