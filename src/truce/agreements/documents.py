"""The documents an agreement is written in (a scenario file, an agreement version's data), validated
when they are loaded: every key, kind, rung, reference and setting is checked against the vocabulary
here, and a refusal names the file's line, the path of the value and the allowed values. Nothing is
written before a document passes.

The vocabularies of the rules live here, in one place: a new eligibility kind is a line in
`CRITERION_PARAMS` (and its function in `eligibility/service.py`), a new measure rung a word in
`RUNG_KINDS`, a new agreement setting a field of `Settings`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from truce.auth.models import NAME_RE, ORG_KINDS, ROLES, ROLES_BY_ORG_KIND
from truce.errors import ValidationFailed
from truce.parties.models import PARTY_KINDS, TRUCE_STATUSES
from truce.reports.models import VIOLATION_TYPES
from truce.zones.models import ZONE_KINDS

# Eligibility criterion kinds and the parameters each takes (beside id, kind and text).
CRITERION_PARAMS: dict[str, tuple[str, ...]] = {
    "not_designated": ("authorities",),
    "truce_status": ("statuses",),
    "no_joint_operations": ("days",),
    "separation_km": ("km", "days"),
    "max_grave_violations": ("max", "days"),
}
# The rungs a measures ladder may climb, mildest first.
RUNG_KINDS = ("notice", "formal_demand", "joint_inspection", "suspension", "exclusion")
DECISION_RULES = ("unanimity", "majority")
MISSED_DEADLINE = ("next_step", "none")
# The statuses a rung may set when its measure is approved.
RUNG_STATUSES = ("suspended", "excluded")


def _one_of(values: Iterable[str], what: str) -> Callable[[str], str]:
    allowed = tuple(values)

    def check(v: str) -> str:
        if v not in allowed:
            raise PydanticCustomError(
                "not_allowed", "{value} is not {what}; allowed: {allowed}",
                {"value": repr(v), "what": what, "allowed": ", ".join(allowed)},
            )
        return v

    return check


ViolationType = Annotated[str, AfterValidator(_one_of(VIOLATION_TYPES, "a violation type"))]
CriterionKind = Annotated[str, AfterValidator(_one_of(CRITERION_PARAMS, "an eligibility criterion kind"))]
RungKind = Annotated[str, AfterValidator(_one_of(RUNG_KINDS, "a measure rung"))]
TruceStatus = Annotated[str, AfterValidator(_one_of(TRUCE_STATUSES, "a truce status"))]
RungStatus = Annotated[str, AfterValidator(_one_of(RUNG_STATUSES, "a status a measure can set"))]
DecisionRule = Annotated[str, AfterValidator(_one_of(DECISION_RULES, "a decision rule"))]
MissedDeadline = Annotated[str, AfterValidator(_one_of(MISSED_DEADLINE, "a missed-deadline rule"))]
PartyKind = Annotated[str, AfterValidator(_one_of(PARTY_KINDS, "a party kind"))]
ZoneKind = Annotated[str, AfterValidator(_one_of(ZONE_KINDS, "a zone kind"))]
OrgKind = Annotated[str, AfterValidator(_one_of(ORG_KINDS, "an organisation kind"))]
Role = Annotated[str, AfterValidator(_one_of(ROLES, "a role"))]
ExternalSource = Annotated[str, AfterValidator(_one_of(("acled", "ucdp"), "an external source"))]


def _iso_country(v: str) -> str:
    if not (len(v) == 2 and v.isalpha() and v.isupper()):
        raise PydanticCustomError(
            "not_allowed", "{value} is not an ISO 3166-1 alpha-2 code (YE, SY, UA…)", {"value": repr(v)}
        )
    return v


CountryCode = Annotated[str, AfterValidator(_iso_country)]


def _name(v: str) -> str:
    if not NAME_RE.match(v) or v == "system":
        raise PydanticCustomError(
            "not_allowed", "{value} is not a valid id or user name (letters, digits, _ . -; not 'system')",
            {"value": repr(v)},
        )
    return v


Name = Annotated[str, AfterValidator(_name)]


def _refuse_at(at: str, message: str, **ctx: Any) -> PydanticCustomError:
    """An error about a value below the model being validated (`at`: its dotted path from the model)."""
    return PydanticCustomError("reference", message, {**ctx, "at": at})


def _unique(items: list[Any], what: str, path: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise _refuse_at(f"{path}.{i}.id", "{what} id {id} is given twice", what=what, id=repr(item.id))
        seen.add(item.id)


class Doc(BaseModel):
    """A part of a document: unknown keys are refused, naming the keys it may have."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = list(cls.model_fields)
            for key in data:
                if key not in allowed:
                    raise PydanticCustomError(
                        "unknown_key", "unknown key {shown}; allowed: {allowed}",
                        {"key": str(key), "shown": repr(key), "allowed": ", ".join(allowed)},
                    )
        return data


class Clause(Doc):
    id: str
    text: str
    prohibited: list[ViolationType] = Field(default_factory=list)
    excluded_parties: list[str] = Field(default_factory=list)
    # Where the clause applies: inside the zones (the default), or country-wide: `scope: country` (every
    # loaded country) or `countries: [YE]` (ISO 3166-1 alpha-2 codes, the first letters of OCHA P-codes).
    scope: Literal["zones", "country"] | None = None
    countries: list[CountryCode] | None = None


class Severity(Doc):
    grave_if_civilians_killed_at_least: int = Field(1, ge=0)
    grave_types_in_zone: list[ViolationType] = Field(default_factory=list)
    grave_types_anywhere: list[ViolationType] = Field(default_factory=list)


class Criterion(Doc):
    id: str
    kind: CriterionKind
    text: str = ""
    authorities: list[str] | None = None
    statuses: list[TruceStatus] | None = None
    days: int | None = Field(None, gt=0)
    km: float | None = Field(None, gt=0)
    max: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _params_of_its_kind(self) -> Criterion:
        own = CRITERION_PARAMS[self.kind]
        for name in ("authorities", "statuses", "days", "km", "max"):
            if getattr(self, name) is not None and name not in own:
                raise _refuse_at(
                    name, "{name} is not a parameter of kind {kind}; its parameters: {own}",
                    name=repr(name), kind=self.kind, own=", ".join(own),
                )
        return self


class Eligibility(Doc):
    version: int = 1
    title: str = ""
    criteria: list[Criterion]

    @model_validator(mode="after")
    def _ids(self) -> Eligibility:
        _unique(self.criteria, "criterion", "criteria")
        return self


class Weights(Doc):
    grave: int = Field(ge=0)
    minor: int = Field(ge=0)
    access_denial: int = Field(ge=0)


class Rung(Doc):
    step: int = Field(ge=1)
    kind: RungKind
    deadline_days: int | None = Field(None, gt=0)
    sets_status: RungStatus | None = None


class MeasureRule(Doc):
    id: str
    step: int
    min_points: int = Field(ge=0)
    text: str = ""


class Measures(Doc):
    window_days: int = Field(gt=0)
    weights: Weights
    ladder: list[Rung] = Field(min_length=1)
    rules: list[MeasureRule]
    missed_deadline: MissedDeadline | None = None

    @model_validator(mode="after")
    def _steps(self) -> Measures:
        steps: list[int] = []
        for i, r in enumerate(self.ladder):
            if r.step in steps:
                raise _refuse_at(f"ladder.{i}.step", "step {step} is given twice", step=r.step)
            steps.append(r.step)
        for i, rule in enumerate(self.rules):
            if rule.step not in steps:
                raise _refuse_at(
                    f"rules.{i}.step", "rule {id}: step {step} is not a rung of the ladder; rungs: {steps}",
                    id=rule.id, step=rule.step, steps=", ".join(map(str, steps)),
                )
        _unique(self.rules, "rule", "rules")
        return self


class Settings(Doc):
    """An agreement version's settings (defaults in agreements/service.py and enforcement.yaml)."""

    match_window_hours: float | None = Field(None, gt=0)
    match_radius_km: float | None = Field(None, gt=0)
    reply_window_days: float | None = Field(None, gt=0)
    # An impartial monitor's own observations may verify an incident alone (default: a party's own
    # reports never verify).
    own_reports_verify: bool | None = None
    severity: Severity | None = None
    measures: Measures | None = None
    eligibility: Eligibility | None = None


class Agreement(Doc):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    signed: date | None = None
    effective: date
    term_months: int | None = Field(None, gt=0)
    ends: date | None = None  # the last day + 1 of the agreement's period (none: open-ended)
    guarantors: list[str] = Field(min_length=1)
    decision_rule: DecisionRule
    clauses: list[Clause] = Field(default_factory=list)
    settings: Settings = Field(default_factory=Settings)
    measures: Measures | None = None
    eligibility: Eligibility | None = None

    @model_validator(mode="after")
    def _clause_ids(self) -> Agreement:
        _unique(self.clauses, "clause", "clauses")
        return self


class PartyDoc(Doc):
    id: str
    name: str
    kind: PartyKind
    aliases: list[str] = Field(default_factory=list)
    designations: list[str] = Field(default_factory=list)
    status: TruceStatus | None = None
    joined: date | None = None
    # the names ACLED and UCDP give the party: {acled: [...], ucdp: [...]}
    external_names: dict[ExternalSource, list[str]] | None = None
    # its name in the readers' languages, as their press writes it: {ar: ..., ru: ..., tr: ..., fa: ...}
    names: dict[Literal["ar", "ru", "tr", "fa"], str] | None = None


class ZoneDoc(Doc):
    id: str
    name: str
    kind: ZoneKind = "de_escalation_area"
    note: str | None = None
    approximate: bool | None = None
    valid_from: date | None = None
    adm3: list[str] | None = None
    geometry: dict[str, Any] | None = None
    # its name in the readers' languages, as their press writes it: {ar: ..., ru: ..., tr: ..., fa: ...}
    names: dict[Literal["ar", "ru", "tr", "fa"], str] | None = None


class OrganisationDoc(Doc):
    """An organisation beside (or instead of) those the scenario implies (see `implied_organisations`)."""

    id: Name
    name: str = Field(min_length=1, max_length=300)
    kind: OrgKind
    party: str | None = None  # the party a guarantor office or a liaison belongs to


class UserDoc(Doc):
    """A user; no password here (a scenario file is shared): set one with `truce user passwd NAME`."""

    name: Name
    org: str
    role: Role
    display_name: str | None = Field(None, max_length=300)

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if str(key).lower() in ("password", "password_hash", "passwd"):
                    raise PydanticCustomError(
                        "unknown_key", "passwords are not written in a scenario file: set one with "
                        "truce user passwd NAME", {"key": str(key)},
                    )
        return data


def implied_organisations(guarantors: Iterable[str], parties: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """The organisations a scenario implies: the admin, the joint group, one office per guarantor and a
    liaison office for every party that can be bound by the truce (parties as (id, name, kind))."""
    names = {pid: name for pid, name, _ in parties}
    out: list[dict[str, Any]] = [
        {"id": "ADMIN", "name": "Mechanism secretariat (administration)", "kind": "admin", "party_id": None},
        {"id": "JOINT", "name": "Joint group of the guarantors", "kind": "joint_group", "party_id": None},
    ]
    for g in guarantors:
        out.append({"id": f"{g}_OFFICE", "name": f"{names.get(g, g)}: guarantor office",
                    "kind": "guarantor_office", "party_id": g})
    for pid, name, kind in parties:
        if kind in ("government", "armed_group"):
            out.append({"id": f"{pid}_LIAISON", "name": f"{name}: liaison", "kind": "party_liaison", "party_id": pid})
    return out


class Scenario(Doc):
    country: CountryCode | None = None  # ISO 3166-1 alpha-2 (default SY, the bundled boundaries)
    agreement: Agreement
    parties: list[PartyDoc] = Field(default_factory=list)
    zones: list[ZoneDoc] = Field(default_factory=list)
    organisations: list[OrganisationDoc] = Field(default_factory=list)
    users: list[UserDoc] = Field(default_factory=list)

    def organisation_plan(self) -> list[dict[str, Any]]:
        """The organisations to exist: those implied, each replaced by a declared one of the same id, then
        the other declared ones."""
        plan = implied_organisations(self.agreement.guarantors, [(p.id, p.name, p.kind) for p in self.parties])
        declared = {o.id: {"id": o.id, "name": o.name, "kind": o.kind, "party_id": o.party} for o in self.organisations}
        out = [declared.pop(o["id"], o) for o in plan]
        return out + list(declared.values())

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        _unique(self.parties, "party", "parties")
        _unique(self.zones, "zone", "zones")
        _unique(self.organisations, "organisation", "organisations")
        known = [p.id for p in self.parties]
        for i, o in enumerate(self.organisations):
            if o.kind in ("guarantor_office", "party_liaison") and not o.party:
                raise _refuse_at(f"organisations.{i}.party", "a {kind} belongs to a party: give its id",
                                 kind=o.kind)
            if o.party and known and o.party not in known:
                raise _refuse_at(f"organisations.{i}.party", "{ref} is not a party of the scenario; parties: {known}",
                                 ref=repr(o.party), known=", ".join(known))
        kinds = {o["id"]: o["kind"] for o in self.organisation_plan()}
        seen: set[str] = set()
        for i, u in enumerate(self.users):
            if u.name in seen:
                raise _refuse_at(f"users.{i}.name", "user {name} is given twice", name=repr(u.name))
            seen.add(u.name)
            if u.org not in kinds:
                raise _refuse_at(f"users.{i}.org", "{ref} is not an organisation of the scenario; organisations: "
                                 "{known}", ref=repr(u.org), known=", ".join(kinds))
            allowed = ROLES_BY_ORG_KIND[kinds[u.org]]
            if u.role not in allowed:
                raise _refuse_at(f"users.{i}.role", "a user of {org} ({kind}) may be {allowed}, not {role}",
                                 org=u.org, kind=kinds[u.org], allowed=", ".join(sorted(allowed)), role=u.role)
        if known:
            for i, g in enumerate(self.agreement.guarantors):
                if g not in known:
                    raise _refuse_at(
                        f"agreement.guarantors.{i}", "{ref} is not a party of the scenario; parties: {known}",
                        ref=repr(g), known=", ".join(known),
                    )
            for i, c in enumerate(self.agreement.clauses):
                for j, ref in enumerate(c.excluded_parties):
                    if ref not in known:
                        raise _refuse_at(
                            f"agreement.clauses.{i}.excluded_parties.{j}",
                            "clause {clause}: {ref} is not a party of the scenario; parties: {known}",
                            clause=c.id, ref=repr(ref), known=", ".join(known),
                        )
        return self


# --- reading YAML with its line numbers ------------------------------------------------------------------

Path_ = tuple[str | int, ...]


def _lines(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
            out[(*path, key)] = k.start_mark.line + 1
            _lines(v, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*path, i), out)
            out[(*path, i)] = item.start_mark.line + 1


def load_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """The data of a YAML text and the line of each of its paths (keys and list items)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ValidationFailed(f"{source}{where}: not valid YAML ({problem})", field="file") from e
    lines: dict[Path_, int] = {}
    if node is not None:
        _lines(node, (), lines)
    return data, lines


def _display(loc: Path_) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def refusal(exc: ValidationError, source: str | None = None, lines: dict[Path_, int] | None = None,
            prefix: Path_ = ()) -> ValidationFailed:
    """A pydantic refusal of a document as one ValidationFailed: each error with its line (when the
    document came from a file), the path of the value and why."""
    details: list[dict[str, Any]] = []
    for err in exc.errors():
        loc: Path_ = (*prefix, *err.get("loc", ()))
        ctx = err.get("ctx") or {}
        if err["type"] == "unknown_key":
            loc = (*loc, ctx["key"])
        elif "at" in ctx:
            loc = (*loc, *(int(p) if p.isdigit() else p for p in str(ctx["at"]).split(".")))
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required, missing"
        line = None
        if lines is not None:
            probe = loc
            while probe and probe not in lines:
                probe = probe[:-1]
            line = lines.get(probe)
        where = ", ".join(x for x in (source, f"line {line}" if line else None) if x)
        text = f"{where}: {_display(loc)}: {msg}" if where else f"{_display(loc)}: {msg}"
        details.append({"field": _display(loc), "message": text, **({"line": line} if line else {})})
    first = str(details[0]["message"]) if details else "invalid document"
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return ValidationFailed(first + more, details=details)


def read_scenario(path: str | Path) -> dict[str, Any]:
    """Read and validate a scenario file: its data, or a refusal naming the line."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise ValidationFailed(f"{p}: cannot read ({e.strerror})", field="file") from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValidationFailed(f"{p}: not a UTF-8 text file (byte {e.start})", field="file") from e
    if "\x00" in text:
        raise ValidationFailed(f"{p}: a binary file, not a YAML scenario", field="file")
    data, lines = load_yaml(text, str(p))
    if not isinstance(data, dict):
        raise ValidationFailed(f"{p}: a scenario is a YAML mapping with an 'agreement' section", field="agreement")
    try:
        Scenario.model_validate(data)
    except ValidationError as e:
        raise refusal(e, str(p), lines) from e
    return data


def check_agreement(data: dict[str, Any]) -> Agreement:
    """Validate an agreement version's data (as `agreements.add_version` takes it)."""
    try:
        return Agreement.model_validate(data)
    except ValidationError as e:
        raise refusal(e, prefix=("agreement",)) from e


def agreement_from_file(file: Path) -> dict[str, Any]:
    """The agreement of a YAML file (its `agreement:` section, or the whole file), checked: ValidationFailed
    names the file, the line and the path of the first wrong value, before anything is written."""
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        why = e.strerror if isinstance(e, OSError) else "not a UTF-8 text file"
        raise ValidationFailed(f"{file.name}: cannot read ({why})", field="file") from e
    data, lines = load_yaml(text, file.name)
    ag = data.get("agreement", data) if isinstance(data, dict) else None
    if not isinstance(ag, dict) or "id" not in ag:
        raise ValidationFailed(f"{file.name}: no agreement (an 'agreement:' section with an id)", field="file")
    try:
        Agreement.model_validate(ag)
    except ValidationError as e:
        raise refusal(e, file.name, lines, ("agreement",) if ag is not data else ()) from e
    return ag
