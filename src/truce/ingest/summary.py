"""What every importer shares: the summary of an import and the UCDP actor names of the bundled scenario
(a module of its own so that the batch importer and the file importer need not import each other)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# UCDP actor names → the party ids of the bundled Astana scenario (used only when such a party exists).
UCDP_ACTORS = {
    "government of syria": "SYR",
    "government of russia (soviet union)": "RUS",
    "government of russia": "RUS",
    "government of turkey": "TUR",
    "government of iran": "IRN",
    "is": "ISIL",
    "hts": "NUSRA",
    "jabhat fateh al-sham": "NUSRA",
    "jabhat al-nusra": "NUSRA",
    "sham legion": "FAYLAQ",
    "faylaq al-sham": "FAYLAQ",
    "ahrar al-sham": "AHRAR",
    "jaysh al-islam": "JAISH_ISLAM",
    "jaish al-islam": "JAISH_ISLAM",
    "jaysh al-mujahidin": "MUJAHIDEEN",
    "levant front": "SHAMIYA",
}


@dataclass
class ImportSummary:
    source: str
    file: str
    sha256: str
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    corrections: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    precision: Counter[str] = field(default_factory=Counter)
    unresolved_places: Counter[str] = field(default_factory=Counter)
    unknown_sides: Counter[str] = field(default_factory=Counter)
    batches: list[int] = field(default_factory=list)
    auto_linked: int = 0  # new rows linked to an incident that was already there (or began earlier in the file)
    suggested: int = 0  # suggested links queued for a verifier

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "sha256": self.sha256,
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "corrections": self.corrections,
            "rejected": [{"line": ln, "reason": r} for ln, r in self.rejected],
            "precision": dict(self.precision),
            "unresolved_places": dict(self.unresolved_places.most_common(20)),
            "unknown_sides": dict(self.unknown_sides.most_common(20)),
            "ledger_entries": self.batches,
            "auto_linked": self.auto_linked,
            "suggested_links": self.suggested,
        }
