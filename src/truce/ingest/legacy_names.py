"""The actor tables of Truce before parties' external names became data (declared in the scenario).

Used only to replay import batches recorded before (their ledger payload has no ``actor_names``), so that an
old ledger replays into the same rows; new batches map actors through the names the scenario declared."""

from __future__ import annotations

# ACLED actor keys (parenthesised qualifiers dropped, normalised) -> party ids of the Astana scenario
ACLED_V1: dict[str, str] = {
    "military forces of syria": "SYR",
    "police forces of syria": "SYR",
    "government of syria": "SYR",
    "military forces of russia": "RUS",
    "military forces of turkey": "TUR",
    "military forces of iran": "IRN",
    "islamic state": "ISIL",
    "hts hayat tahrir al sham": "NUSRA",
    "hayat tahrir al sham": "NUSRA",
    "jabhat fateh al sham": "NUSRA",
    "jabhat al nusra": "NUSRA",
    "faylaq al sham": "FAYLAQ",
    "ahrar al sham": "AHRAR",
    "jaish al islam": "JAISH_ISLAM",
    "jaysh al islam": "JAISH_ISLAM",
    "jaish al mujahideen": "MUJAHIDEEN",
    "jaysh al mujahideen": "MUJAHIDEEN",
    "jaish idlib": "JAISH_IDLIB",
    "thuwar al sham": "THUWAR",
    "levant front": "SHAMIYA",
    "al jabha al shamiya": "SHAMIYA",
}

# UCDP side names, lower-cased -> party ids of the Astana scenario
UCDP_V1: dict[str, str] = {
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


def acled_v1(key: str) -> str | None:
    for prefix, pid in ACLED_V1.items():
        if key == prefix or key.startswith(prefix + " "):
            return pid
    return None
