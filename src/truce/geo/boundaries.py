"""Reading administrative boundaries of any country: OCHA COD-AB GeoJSON or shapefile, any level.

A COD-AB layer holds one level: each feature has the P-code of its own level (`ADM2_PCODE` or
`adm2_pcode`) and of the levels above it, and its names in one or more languages under names that
follow a few patterns, all matched case-insensitively:

- `ADM2_EN`, `ADM2_AR`, `ADM2_FR`, … : the suffix is the language;
- `adm2_name`, `adm2_name1`, `adm2_name2` (the newer COD-AB and HDX layers): `adm2_name` is the primary
  name (English unless told otherwise), the numbered ones take their language from their script
  (Arabic, Cyrillic…) unless `--name-field adm2_name1=fr` says otherwise;
- `ADM2ALT1EN`, `ADM2_REF`, `adm2_ref_n`: alternate names.

What the detection finds is written into the ledger payload (`fields`), so that a replay does not
depend on the detection rules of the version that replays.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from truce.errors import ValidationFailed

_PCODE = re.compile(r"^adm(\d)_?pcode$", re.I)
_LANG_SUFFIX = re.compile(r"^adm(\d)_([a-z]{2})$", re.I)
_NAME = re.compile(r"^adm(\d)_?name(\d?)$", re.I)
_ALT = re.compile(r"^adm(\d)(?:alt\d+[a-z]{2}|_ref(?:_?n(?:ame)?)?|_alt\w*)$", re.I)
_COUNTRY_KEYS = ("adm0_pcode", "adm0pcode", "iso2", "iso_2", "iso3166_1", "country_code")
# ISO 3166-1 alpha-3 -> alpha-2 for the countries whose COD-AB some layers give in alpha-3 only
_ISO3 = {
    "SYR": "SY", "YEM": "YE", "UKR": "UA", "SSD": "SS", "LBY": "LY", "COL": "CO", "SDN": "SD", "SOM": "SO",
    "AFG": "AF", "IRQ": "IQ", "MLI": "ML", "COD": "CD", "CAF": "CF", "MMR": "MM", "ETH": "ET", "LBN": "LB",
    "PSE": "PS", "NGA": "NG", "BFA": "BF", "NER": "NE", "TCD": "TD", "MOZ": "MZ", "HTI": "HT", "ARM": "AM",
    "AZE": "AZ", "GEO": "GE", "MDA": "MD",
}


@dataclass
class Layer:
    """One level of boundaries as read from a file, before any database work."""

    name: str  # the file name
    fmt: str  # "geojson" or "shapefile"
    features: list[tuple[dict[str, Any], dict[str, Any] | None]]  # (properties, GeoJSON geometry)
    parts: dict[str, bytes] = field(default_factory=dict)  # geojson | shp, dbf, shx: the source bytes
    encoding: str = "utf-8"


def _where(name: str, i: int) -> str:
    return f"{name}: feature {i + 1}"


def read_layer(path: str | Path) -> Layer:
    """A GeoJSON FeatureCollection, a .shp (with its .dbf/.shx beside it) or a .zip holding one shapefile."""
    p = Path(path)
    if not p.exists():
        raise ValidationFailed(f"{p.name}: no such file", field="file")
    suffix = p.suffix.lower()
    if suffix in (".shp", ".zip"):
        return _read_shapefile(p)
    data = p.read_bytes()
    return parse_geojson(data, p.name)


def parse_geojson(data: bytes, name: str) -> Layer:
    try:
        fc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValidationFailed(f"{name}: not GeoJSON (not JSON: {e})", field="file") from None
    if not isinstance(fc, dict) or fc.get("type") != "FeatureCollection" or not isinstance(fc.get("features"), list):
        raise ValidationFailed(f"{name}: not GeoJSON (a FeatureCollection with a features list is expected)",
                               field="file")
    feats: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for i, f in enumerate(fc["features"]):
        if not isinstance(f, dict) or f.get("type") != "Feature":
            raise ValidationFailed(f"{_where(name, i)}: not a GeoJSON Feature", field="file")
        props = f.get("properties") or {}
        if not isinstance(props, dict):
            raise ValidationFailed(f"{_where(name, i)}: properties must be an object", field="file")
        feats.append((props, f.get("geometry")))
    return Layer(name=name, fmt="geojson", features=feats, parts={"geojson": data})


def _read_shapefile(p: Path) -> Layer:
    parts: dict[str, bytes] = {}
    encoding = "utf-8"
    if p.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(p) as z:
                members = {Path(n).suffix.lower(): n for n in z.namelist() if not n.startswith("__MACOSX")}
                stems = {Path(n).with_suffix("").as_posix() for n in z.namelist() if n.lower().endswith(".shp")}
                if len(stems) != 1:
                    raise ValidationFailed(f"{p.name}: the zip must hold exactly one .shp (found {len(stems)})",
                                           field="file")
                for ext in (".shp", ".dbf", ".shx", ".cpg"):
                    if ext in members:
                        parts[ext[1:]] = z.read(members[ext])
        except zipfile.BadZipFile:
            raise ValidationFailed(f"{p.name}: not a zip file", field="file") from None
    else:
        for ext in (".shp", ".dbf", ".shx", ".cpg"):
            for cand in (p.with_suffix(ext), p.with_suffix(ext.upper())):
                if cand.exists():
                    parts[ext[1:]] = cand.read_bytes()
                    break
    if "shp" not in parts or "dbf" not in parts:
        raise ValidationFailed(f"{p.name}: a shapefile needs its .shp and .dbf files side by side", field="file")
    if "cpg" in parts:
        encoding = parts.pop("cpg").decode("ascii", "replace").strip() or "utf-8"
    return Layer(name=p.name, fmt="shapefile", features=parse_shapefile(parts, p.name, encoding), parts=parts,
                 encoding=encoding)


def parse_shapefile(parts: dict[str, bytes], name: str, encoding: str) -> list[tuple[dict[str, Any], Any]]:
    import shapefile  # pyshp, pure Python

    try:
        reader = shapefile.Reader(
            shp=io.BytesIO(parts["shp"]),
            dbf=io.BytesIO(parts["dbf"]),
            shx=io.BytesIO(parts["shx"]) if parts.get("shx") else None,
            encoding=encoding,
        )
        out: list[tuple[dict[str, Any], Any]] = []
        for i, sr in enumerate(reader.iterShapeRecords()):
            props = sr.record.as_dict()
            geom = None if sr.shape.shapeType == shapefile.NULL else sr.shape.__geo_interface__
            out.append((props, json.loads(json.dumps(geom)) if geom else None))
            del i
        return out
    except shapefile.ShapefileException as e:
        raise ValidationFailed(f"{name}: not a readable shapefile ({e})", field="file") from None


def layer_from_payload(p: dict[str, Any], read: Any) -> list[tuple[dict[str, Any], Any]]:
    """The features of a recorded `admin.load` from the blobs it names (`read(sha) -> bytes`)."""
    if p.get("format", "geojson") == "shapefile":
        parts = {"shp": read(p["blob"]), "dbf": read(p["dbf"])}
        if p.get("shx"):
            parts["shx"] = read(p["shx"])
        return parse_shapefile(parts, p["name"], p.get("encoding") or "utf-8")
    return parse_geojson(read(p["blob"]), p["name"]).features


# --- field detection ----------------------------------------------------------------------------------


def _script_lang(values: list[str]) -> str | None:
    """The language a column of names is in, from its script: Arabic, Cyrillic… (None for Latin)."""
    counts: dict[str, int] = {}
    for v in values[:50]:
        for ch in str(v):
            if ch.isalpha():
                script = unicodedata.name(ch, "").split(" ")[0]
                counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    script = max(counts, key=lambda k: counts[k])
    return {"ARABIC": "ar", "CYRILLIC": "ru", "HEBREW": "he", "ARMENIAN": "hy", "GEORGIAN": "ka",
            "ETHIOPIC": "am", "MYANMAR": "my", "THAI": "th", "DEVANAGARI": "hi"}.get(script)


def detect_fields(
    layer: Layer, level: int | None = None, name_fields: dict[str, str] | None = None, lang: str = "en"
) -> dict[str, Any]:
    """Which properties hold the P-codes, names and centre of the layer's level. ``name_fields`` maps a
    property name to a language (a flag's `adm1_name1=fr`); ``lang`` is the language of a bare `admN_name`."""
    keys: list[str] = []
    for props, _ in layer.features:
        keys.extend(k for k in props if k not in keys)
    levels = {int(m.group(1)): k for k in keys if (m := _PCODE.match(k))}
    levels.pop(0, None)
    if not levels:
        raise ValidationFailed(
            f"{layer.name}: no P-code property found (expected ADM1_PCODE, adm2_pcode… in the properties)",
            field="file",
        )
    found = max(levels)
    if level is None:
        level = found
    elif level != found:
        raise ValidationFailed(
            f"{layer.name}: level mismatch: --level {level} given but the deepest P-code property is "
            f"{levels[found]} (ADM{found})",
            field="level",
        )
    names: dict[str, str] = {}
    alt: list[str] = []
    explicit = {k.lower(): v for k, v in (name_fields or {}).items()}
    for k in keys:
        if k.lower() in explicit:
            names.setdefault(explicit[k.lower()], k)
            continue
        if (m := _LANG_SUFFIX.match(k)) and int(m.group(1)) == level:
            names.setdefault(m.group(2).lower(), k)
        elif (m := _NAME.match(k)) and int(m.group(1)) == level:
            if not m.group(2):
                names.setdefault(lang, k)
            else:
                lg = _script_lang([str(pr.get(k) or "") for pr, _ in layer.features]) or f"name{m.group(2)}"
                names.setdefault(lg, k)
        elif (m := _ALT.match(k)) and int(m.group(1)) == level:
            alt.append(k)
    missing = [k for k in explicit if k not in {x.lower() for x in keys}]
    if missing:
        raise ValidationFailed(f"{layer.name}: --name-field names no property of the file: {missing[0]}",
                               field="name_field")
    parents = {str(n): levels[n] for n in sorted(levels) if n < level}
    lower = {k.lower(): k for k in keys}
    center = [lower["center_lat"], lower["center_lon"]] if "center_lat" in lower and "center_lon" in lower else None
    country = next((lower[k] for k in _COUNTRY_KEYS if k in lower), None)
    adm0: dict[str, str] = {}
    for k in keys:
        if (m := _LANG_SUFFIX.match(k)) and m.group(1) == "0":
            adm0.setdefault(m.group(2).lower(), k)
        elif (m := _NAME.match(k)) and m.group(1) == "0" and not m.group(2):
            adm0.setdefault(lang, k)
    return {"pcode": levels[level], "parents": parents, "names": names, "alt": alt, "center": center,
            "country": country, "level": level, "adm0": adm0}


def country_of(layer: Layer, fields: dict[str, Any], given: str | None) -> str:
    """The ISO 3166-1 alpha-2 code of the layer's country: the flag, else ADM0_PCODE, else the P-code prefix."""
    if given:
        code = given.strip().upper()
        code = _ISO3.get(code, code)
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise ValidationFailed(f"--country: {given!r} is not an ISO 3166-1 code (YE, SY, UA…)", field="country")
        return code
    seen: set[str] = set()
    for props, _ in layer.features:
        v = str(props.get(fields["country"]) or "") if fields.get("country") else ""
        if not v:
            v = str(props.get(fields["pcode"]) or "")[:2]
        v = _ISO3.get(v.upper(), v.upper())
        if re.fullmatch(r"[A-Z]{2}", v):
            seen.add(v)
    if len(seen) != 1:
        raise ValidationFailed(
            f"{layer.name}: cannot tell the country from the data ({', '.join(sorted(seen)) or 'no ADM0_PCODE'}); "
            "give --country",
            field="country",
        )
    return seen.pop()


LEGACY_FIELDS = {  # what an `admin.load` of the bundled Syrian layers recorded before fields were recorded
    1: {"pcode": "adm1_pcode", "parents": {}, "names": {"en": "adm1_name", "ar": "adm1_name1"}, "alt": [],
        "center": ["center_lat", "center_lon"]},
    2: {"pcode": "adm2_pcode", "parents": {"1": "adm1_pcode"}, "names": {"en": "adm2_name", "ar": "adm2_name1"},
        "alt": [], "center": ["center_lat", "center_lon"]},
    3: {"pcode": "adm3_pcode", "parents": {"1": "adm1_pcode", "2": "adm2_pcode"},
        "names": {"en": "adm3_name", "ar": "adm3_name1"}, "alt": ["adm3_ref_n"],
        "center": ["center_lat", "center_lon"]},
}
