"""Who may do what: one table of actions and the roles allowed, checked by every service.

Organisation rules (a monitor files for its own office; a verifier records its own guarantor's
finding; a liaison sees what concerns its party) are checked by the services on top of this table."""

from __future__ import annotations

from truce.errors import PermissionDenied
from truce.ledger.chain import Actor

PERMISSIONS: dict[str, tuple[frozenset[str], str]] = {
    "admin.load": (frozenset({"admin"}), "load administrative boundaries"),
    "org.add": (frozenset({"admin"}), "add organisations"),
    "user.add": (frozenset({"admin"}), "add users"),
    "agreement.add": (frozenset({"admin"}), "add agreement versions"),
    "party.add": (frozenset({"admin"}), "add parties"),
    "party.status": (frozenset({"admin"}), "change a party's truce status"),
    "zone.add": (frozenset({"admin"}), "define zones"),
    "zone.version": (frozenset({"admin"}), "change a zone's geometry"),
    "report.submit": (frozenset({"monitor", "liaison", "admin"}), "submit reports"),
    "import.batch": (frozenset({"admin"}), "import data files"),
    "intake.add": (frozenset({"monitor", "admin"}), "add articles and messages to the intake queue"),
    "intake.view": (frozenset({"monitor", "verifier", "admin"}), "see the intake queue"),
    # accepting submits a report: only those who may submit reports decide (not liaisons: a party's office)
    "intake.decide": (frozenset({"monitor"}), "accept or reject intake candidates"),
    "incident.link": (frozenset({"verifier", "admin"}), "link, unlink or split reports"),
    "suggestion.decide": (frozenset({"verifier", "admin"}), "accept or reject suggested links"),
    "investigation.open": (frozenset({"verifier", "admin"}), "open investigations"),
    "investigation.deny": (frozenset({"verifier", "admin"}), "record denials of access"),
    "investigation.resume": (frozenset({"verifier", "admin"}), "resume investigations"),
    "investigation.close": (frozenset({"verifier", "admin"}), "close investigations"),
    "reply.file": (frozenset({"liaison"}), "file replies to attributions"),
    "finding.add": (frozenset({"verifier"}), "record findings"),
    "queue.view": (frozenset({"verifier", "admin"}), "see the verifiers' queue"),
    "measures.evaluate": (frozenset({"verifier", "admin"}), "evaluate measures"),
    "measure.decide": (frozenset({"verifier"}), "vote on measures"),
    "measure.compliance": (frozenset({"verifier", "admin"}), "record compliance with measures"),
    "accession.apply": (frozenset({"liaison", "admin"}), "apply to join the truce"),
    "accession.decide": (frozenset({"verifier"}), "vote on accessions"),
    "accession.override": (frozenset({"admin"}), "override an undetermined eligibility"),
    "position.report": (frozenset({"monitor", "verifier", "admin"}), "report positions"),
    "zone.unite": (frozenset({"admin"}), "unite or split zones"),
    "bulletin.publish": (frozenset({"verifier", "admin"}), "publish bulletins"),
    "bulletin.sign": (frozenset({"verifier"}), "sign bulletins"),
    "key.add": (frozenset({"verifier", "admin"}), "create signing keys"),
    "key.revoke": (frozenset({"verifier", "admin"}), "revoke signing keys"),
}


def require(actor: Actor, action: str) -> None:
    roles, what = PERMISSIONS[action]
    if actor.role not in roles:
        allowed = ", ".join(sorted(roles))
        raise PermissionDenied(f"user '{actor.name}' ({actor.role} of {actor.org}) may not {what}: only {allowed} may")


def allowed(actor: Actor, action: str) -> bool:
    return actor.role in PERMISSIONS[action][0]
