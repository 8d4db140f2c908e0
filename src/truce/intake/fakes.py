"""FA-KES (Abu Salem et al., ICWSM 2019): read its CSV, map an extraction to its label values, score.

FA-KES labels each article with one of 12 governorate names, 7 actor classes, 6 causes of death, counts of
civilian / non-civilian deaths, children and women, and a date (M/D/YY). The adapter maps Truce's values
(OCHA P-codes, party ids, violation kinds) onto those labels. On top of the rules, a small model trained
in the repository (`truce.intake.model`: logistic regression over the article's words and the rules'
scores) chooses the governorate, the actor class and the cause, and says when the non-civilian count is
zero. Its weights ship in `truce/data/intake/` and `scripts/train_intake.py` reproduces them from the shared
FA-KES rows; cross-validation trains it again inside each fold (the model scored on a fold never saw it).
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from truce.errors import ValidationFailed
from truce.intake import model, rules
from truce.intake.extract import DEFAULT, Article, Extraction, Features, Params, _score, decide, features

FIELDS = ("location", "actor", "cause_of_death", "nb_civilians", "nb_noncivilians", "nb_children", "nb_women", "date")
REQUIRED_COLUMNS = ("unit_id", "article_title", "article_content")

# OCHA governorate P-code → FA-KES location label (Rural Damascus is "damascus" in FA-KES, which has no
# label for As-Sweida: its nearest label is Dar'a).
ADM1_LABEL = {
    "SY01": "damascus",
    "SY02": "aleppo",
    "SY03": "damascus",
    "SY04": "homs",
    "SY05": "hama",
    "SY06": "lattakia",
    "SY07": "idlib",
    "SY08": "hasakeh",
    "SY09": "deir ezzor",
    "SY10": "tartous",
    "SY11": "raqqa",
    "SY12": "daraa",
    "SY13": "daraa",
    "SY14": "quneitra",
}
GOV = "syrian government or russian troops"
ACTOR_LABEL = {
    "SYR": GOV,
    "RUS": GOV,
    "IRN": GOV,
    "ISIL": "the organization of the islamic state in iraq and the levant - isis",
    "NUSRA": "al-nusra front",
    "COALITION": "international coalition forces",
    "SDF": "self administration forces",
    "OPPOSITION": "armed opposition groups",
    "TUR": "armed opposition groups",
}
CAUSE_LABEL = {
    "airstrike": "shelling",
    "shelling": "shelling",
    "chemical_weapons_use": "chemical and toxic gases",
    "ied": "explosion",
    "sniper_fire": "shooting",
    "armed_clash": "shooting",
    "execution": "execution",
}


# FA-KES's date is the article's own day (its publication day, as cross-validation chooses), not the day
# the article says the event happened: the adapter's parameters say so.
# Chosen by `tune` on all 624 shared rows (the figures reported are those of cross-validation instead); the
# shipped model keeps the parameters it was trained with (`shipped().params`), tuned the same way.
FAKES_PARAMS = replace(DEFAULT, date_rule="publication", actor_min=4.0)


def actor_label(pid: str | None) -> str:
    if pid is None:
        return "unknown"
    if pid in ACTOR_LABEL:
        return ACTOR_LABEL[pid]
    kind = rules.party_kind(pid)
    if kind == "armed_group":
        return "armed opposition groups"
    if kind in ("government", "guarantor"):
        return GOV
    return "unknown"


def to_fakes(unit_id: str, x: Extraction) -> dict[str, Any]:
    """One prediction line in FA-KES's own label values."""
    c = x.casualties

    def n(k: str) -> int:
        return int(c[k].value) if k in c else 0

    date = ""
    if x.date.value:
        d = datetime.fromisoformat(x.date.value)
        date = d.date().isoformat()
    return {
        "unit_id": unit_id,
        "date": date,
        "location": ADM1_LABEL.get((x.place.value or {}).get("adm1_pcode", ""), "unknown"),
        "actor": actor_label(x.party.value),
        "cause_of_death": CAUSE_LABEL.get(x.violation_type.value or "", "unknown"),
        "nb_civilians": n("killed_civilian"),
        "nb_noncivilians": n("killed_combatant"),
        "nb_children": n("killed_children"),
        "nb_women": n("killed_women"),
    }


def gold_of(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: row.get(k, "").strip() for k in FIELDS}
    for k in ("nb_civilians", "nb_noncivilians", "nb_children", "nb_women"):
        try:
            out[k] = int(float(out[k] or 0))
        except ValueError:
            out[k] = 0
    try:
        out["date"] = datetime.strptime(out["date"], "%m/%d/%y").date().isoformat()
    except ValueError:
        out["date"] = ""
    return out


# --------------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------------


class FakesError(ValidationFailed):
    """A FA-KES file that cannot be read: says where and why."""


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a FA-KES CSV, checked: a clear error for an empty, binary or malformed file."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise FakesError(f"{path}: cannot be read ({e.strerror})") from None
    if not data.strip():
        raise FakesError(f"{path.name}: the file is empty")
    if b"\x00" in data[:4096]:
        raise FakesError(f"{path.name}: a binary file, not a CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FakesError(f"{path.name}: not UTF-8 text (byte {e.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    cols = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        raise FakesError(f"{path.name}: missing column(s) {', '.join(missing)} (has: {', '.join(cols)})")
    rows = list(reader)
    if not rows:
        raise FakesError(f"{path.name}: a header but no rows")
    for i, r in enumerate(rows, start=2):
        if not (r.get("article_content") or "").strip():
            raise FakesError(f"{path.name}, line {i} (unit_id {r.get('unit_id')}): the article has no body")
    return rows


def article_of(row: dict[str, str]) -> Article:
    return Article(body=row["article_content"], title="", source=row.get("source", ""), id=row.get("unit_id"))


# --------------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------------


def score(preds: list[dict[str, Any]], golds: list[dict[str, Any]]) -> dict[str, float]:
    out = {}
    for k in FIELDS:
        ok = sum(1 for p, g in zip(preds, golds, strict=True) if p[k] == g[k])
        out[k] = ok / len(golds) if golds else 0.0
    return out


def majority(golds: list[dict[str, Any]]) -> dict[str, float]:
    out = {}
    for k in FIELDS:
        c = Counter(g[k] for g in golds)
        out[k] = c.most_common(1)[0][1] / len(golds) if golds else 0.0
    return out


@dataclass
class Prepared:
    rows: list[dict[str, str]]
    articles: list[Article]
    feats: list[Features]
    golds: list[dict[str, Any]]


def prepare(rows: list[dict[str, str]], progress: Any = None) -> Prepared:
    arts, feats = [], []
    for r in rows:
        a = article_of(r)
        arts.append(a)
        feats.append(features(a))
        if progress is not None:
            progress()
    return Prepared(rows, arts, feats, [gold_of(r) for r in rows])


def predict(prep: Prepared, idx: list[int], p: Params, fm: FakesModel | None = None) -> list[dict[str, Any]]:
    """FA-KES predictions for the rows ``idx``: the rules with parameters ``p``, and the model when given."""
    out = []
    for i in idx:
        pred = to_fakes(prep.rows[i]["unit_id"], decide(prep.articles[i], prep.feats[i], p))
        out.append(apply_model(fm, prep.articles[i], prep.feats[i], pred) if fm is not None else pred)
    return out


# The grid the folds choose from: a few values per parameter, one field's parameters at a time.
GRID: dict[str, tuple[Any, ...]] = {
    "title_weight": (1.0, 2.0, 3.0, 5.0),
    "lead_weight": (1.0, 2.0, 3.0),
    "early_weight": (1.0, 1.5, 2.5),
    "capital_weight": (0.3, 0.6, 1.0),
    "agent_weight": (0.0, 1.0, 3.0, 6.0),
    "mention_weight": (0.2, 0.5, 1.0),
    "victim_weight": (0.0, 1.0, 3.0),
    "air_weight": (0.0, 2.0, 5.0, 10.0),
    "actor_min": (0.5, 1.5, 2.5, 4.0, 6.0),
    "cause_min": (0.5, 1.0, 2.0, 3.0, 5.0),
    "clash_weight": (0.3, 0.6, 1.0),
    "count_rule": ("first", "max", "title"),
    "count_window": (300, 600, 1200, 100_000),
    "any_as_civilian": (False, True),
    "date_rule": ("publication", "relative"),
}


def tune(prep: Prepared, idx: list[int], start: Params = DEFAULT) -> Params:  # starts from the plain rules
    """Coordinate ascent over GRID on the rows ``idx``: the parameters with the best mean accuracy."""
    golds = [prep.golds[i] for i in idx]

    def objective(p: Params) -> float:
        s = score(predict(prep, idx, p), golds)
        return sum(s.values())

    best, best_s = start, objective(start)
    for _ in range(2):
        for name, values in GRID.items():
            for v in values:
                cand = replace(best, **{name: v})
                s = objective(cand)
                if s > best_s + 1e-9:
                    best, best_s = cand, s
    return best


def folds(n: int, k: int, seed: int = 17) -> list[list[int]]:
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    return [sorted(idx[i::k]) for i in range(k)]


def cross_validate(
    prep: Prepared, k: int = 5, learn: bool = True, progress: Any = None
) -> tuple[dict[str, float], list[Params], list[dict[str, float]]]:
    """For each of k folds: the rules' parameters tuned and (``learn``) the model trained on the other k-1
    folds, both applied to the held-out fold. The held-out predictions of all folds scored together, the
    parameters each fold chose, and each fold's own scores."""
    preds: dict[int, dict[str, Any]] = {}
    chosen = []
    per_fold = []
    for hold in folds(len(prep.rows), k):
        train = sorted(set(range(len(prep.rows))) - set(hold))
        p = tune(prep, train)
        chosen.append(p)
        fm = train_model(prep, train, p) if learn else None
        got = predict(prep, hold, p, fm)
        per_fold.append(score(got, [prep.golds[i] for i in hold]))
        for i, pr in zip(hold, got, strict=True):
            preds[i] = pr
        if progress is not None:
            progress()
    order = sorted(preds)
    return score([preds[i] for i in order], [prep.golds[i] for i in order]), chosen, per_fold


def iter_predictions(rows: list[dict[str, str]], fm: FakesModel | None = None) -> Iterator[dict[str, Any]]:
    """FA-KES predictions with the shipped model (or ``fm``) and the parameters it was trained with."""
    fm = fm if fm is not None else shipped()
    for r in rows:
        a = article_of(r)
        f = features(a)
        yield apply_model(fm, a, f, to_fakes(r["unit_id"], decide(a, f, fm.params)))


# --------------------------------------------------------------------------------------------------------
# The model: the rules' scores and the article's words, one logistic regression per field
# --------------------------------------------------------------------------------------------------------

LOCATIONS = sorted(set(ADM1_LABEL.values())) + ["unknown"]
ACTORS = sorted(set(ACTOR_LABEL.values())) + ["unknown"]
CAUSES = sorted(set(CAUSE_LABEL.values())) + ["unknown"]
# The fields the model decides and their labels; "zero_noncivilians": whether the non-civilian count is 0.
MODEL_FIELDS: dict[str, list[str]] = {
    "location": LOCATIONS,
    "actor": ACTORS,
    "cause_of_death": CAUSES,
    "zero_noncivilians": ["no", "yes"],
}
MODEL_DIR = "data/intake"  # under the truce package: fakes_model.json (labels, parameters), .npy (weights)


@dataclass
class FakesModel:
    params: Params
    models: dict[str, model.Softmax]
    trained_on: list[str]  # the unit ids of the rows it was trained on


def rule_features(f: Features, p: Params, pred: dict[str, Any]) -> np.ndarray:
    """The rules' view of an article: the share of the place score per governorate label, the actor and
    cause scores per label (log), and the rules' own choice of each (one-hot)."""
    loc = np.zeros(len(LOCATIONS))
    for k, z in f.places.items():
        lab = ADM1_LABEL.get(k)
        if lab is not None:
            w = p.capital_weight if k == "SY01" else 1.0
            loc[LOCATIONS.index(lab)] += (_score(z, p) + z[3] * p.early_weight) * w
    loc /= loc.sum() or 1.0
    act = np.zeros(len(ACTORS))
    for a, z in f.actors.items():
        act[ACTORS.index(actor_label(a))] += z[0] * p.title_weight + z[1] * p.lead_weight + z[2] + z[3]
    cau = np.zeros(len(CAUSES))
    for kind, z in f.causes.items():
        cau[CAUSES.index(CAUSE_LABEL.get(kind, "unknown"))] += _score(z, p) + z[3] * p.early_weight
    chosen = np.zeros(len(LOCATIONS) + len(ACTORS) + len(CAUSES) + 1)
    chosen[LOCATIONS.index(pred["location"])] = 1.0
    chosen[len(LOCATIONS) + ACTORS.index(pred["actor"])] = 1.0
    chosen[len(LOCATIONS) + len(ACTORS) + CAUSES.index(pred["cause_of_death"])] = 1.0
    chosen[-1] = 1.0 if pred["nb_noncivilians"] else 0.0
    return np.concatenate([loc, np.log1p(act), np.log1p(cau), chosen, [1.0]])


def design(a: Article, f: Features, p: Params, pred: dict[str, Any]) -> np.ndarray:
    """One row of the model's input: the hashed words, then the rules' features."""
    text = (a.title + " " if a.title else "") + a.body[: model.TEXT_CHARS]
    return np.concatenate([model.hashed(text), rule_features(f, p, pred)])


def _target(field: str, gold: dict[str, Any]) -> str:
    if field == "zero_noncivilians":
        return "yes" if gold["nb_noncivilians"] == 0 else "no"
    v = str(gold[field])
    return v if v in MODEL_FIELDS[field] else "unknown"


def train_model(prep: Prepared, idx: list[int], p: Params, steps: int = 300) -> FakesModel:
    """The model trained on the rows ``idx``, on top of the rules with parameters ``p`` (``steps`` of
    gradient descent: the shipped model's 300, fewer in the tests)."""
    preds = predict(prep, idx, p)
    x = np.array([design(prep.articles[i], prep.feats[i], p, pr) for i, pr in zip(idx, preds, strict=True)])
    models = {
        field: model.train(x, [_target(field, prep.golds[i]) for i in idx], labels, steps=steps)
        for field, labels in MODEL_FIELDS.items()
    }
    return FakesModel(p, models, [prep.rows[i]["unit_id"] for i in idx])


def apply_model(fm: FakesModel, a: Article, f: Features, pred: dict[str, Any]) -> dict[str, Any]:
    """The rules' FA-KES prediction with the model's choices in place of theirs."""
    x = design(a, f, fm.params, pred)
    out = dict(pred)
    for field, m in fm.models.items():
        label = m.predict(x)[0]
        if field == "zero_noncivilians":
            if label == "yes":
                out["nb_noncivilians"] = 0
        else:
            out[field] = label
    return out


def save_model(fm: FakesModel, directory: Path) -> tuple[Path, Path]:
    """fakes_model.json (parameters, labels, training rows) and fakes_model.npy (the weights side by side,
    float32): both byte for byte the same for the same model."""
    directory.mkdir(parents=True, exist_ok=True)
    meta = {
        "about": "FA-KES adapter model of Truce intake: multinomial logistic regression over hashed word "
        "n-grams and the rules' features. Trained by scripts/train_intake.py on the FA-KES articles "
        "(Abu Salem et al., ICWSM 2019; Zenodo doi:10.5281/zenodo.2607278; licence CC BY) of the shared data: "
        "624 of its 804 articles.",
        "hash_bits": model.HASH_BITS,
        "text_chars": model.TEXT_CHARS,
        "params": asdict(fm.params),
        "fields": [[f, m.labels] for f, m in fm.models.items()],  # in the order of the weights' columns
        "trained_on": fm.trained_on,
    }
    jpath, npath = directory / "fakes_model.json", directory / "fakes_model.npy"
    jpath.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", "utf-8")
    w = np.concatenate([m.weights for m in fm.models.values()], axis=1).astype("<f4")
    with npath.open("wb") as fh:
        np.save(fh, w, allow_pickle=False)
    return jpath, npath


def load_model(meta_text: str, weights: np.ndarray) -> FakesModel:
    meta = json.loads(meta_text)
    if meta["hash_bits"] != model.HASH_BITS or meta["text_chars"] != model.TEXT_CHARS:
        raise ValueError("the intake model was trained with other hashing settings: run scripts/train_intake.py")
    models, col = {}, 0
    for field, labels in meta["fields"]:
        models[field] = model.Softmax(weights[:, col : col + len(labels)].astype(np.float64), labels)
        col += len(labels)
    return FakesModel(Params(**meta["params"]), models, [str(u) for u in meta["trained_on"]])


@lru_cache(maxsize=1)
def shipped() -> FakesModel:
    """The model shipped with Truce (package data; nothing is downloaded)."""
    base = resources.files("truce").joinpath(MODEL_DIR)
    with base.joinpath("fakes_model.npy").open("rb") as fh:
        weights = np.load(fh, allow_pickle=False)
    return load_model(base.joinpath("fakes_model.json").read_text("utf-8"), weights)
