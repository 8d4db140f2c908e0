"""The FA-KES adapter model: shipped as small package data, reproducible, trained again inside each fold of
cross-validation, and `truce intake eval` says which rows the shipped model was trained on."""

from __future__ import annotations

import csv
import json
from importlib import resources

import numpy as np
import pytest
from tests.helpers import SHARED_DATA
from typer.testing import CliRunner

from truce.cli import app as cli
from truce.intake import fakes, model
from truce.intake.extract import DEFAULT

FAKES = SHARED_DATA / "news" / "fa_kes_syria_news.csv"
runner = CliRunner()
pytestmark = pytest.mark.skipif(not FAKES.exists(), reason="the shared FA-KES file is not there")


@pytest.fixture(scope="module")
def few():
    rows = fakes.read_rows(FAKES)[:90]
    return fakes.prepare(rows)


def test_the_shipped_model_is_small_says_where_it_comes_from_and_loads():
    base = resources.files("truce").joinpath(fakes.MODEL_DIR)
    meta = json.loads(base.joinpath("fakes_model.json").read_text("utf-8"))
    size = sum(len(base.joinpath(n).read_bytes()) for n in ("fakes_model.json", "fakes_model.npy"))
    assert size < 2_000_000
    assert "FA-KES" in meta["about"] and "CC BY" in meta["about"] and "scripts/train_intake.py" in meta["about"]
    fm = fakes.shipped()
    assert list(fm.models) == ["location", "actor", "cause_of_death", "zero_noncivilians"]
    assert fm.models["location"].labels == fakes.LOCATIONS and len(fm.trained_on) == 624
    assert len({m.weights.shape[0] for m in fm.models.values()}) == 1
    assert fm.models["location"].weights.shape[0] > 1 << model.HASH_BITS  # the words, then the rules' features


def test_training_is_reproducible_byte_for_byte_and_the_saved_model_predicts_the_same(few, tmp_path):
    idx = list(range(60))
    fm = fakes.train_model(few, idx, fakes.FAKES_PARAMS, steps=40)
    a = fakes.save_model(fm, tmp_path / "a")
    b = fakes.save_model(fakes.train_model(few, idx, fakes.FAKES_PARAMS, steps=40), tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    other = fakes.save_model(fakes.train_model(few, list(range(1, 61)), fakes.FAKES_PARAMS, steps=40), tmp_path / "c")
    assert other[1].read_bytes() != a[1].read_bytes()  # other rows, other weights
    loaded = fakes.load_model(a[0].read_text("utf-8"), np.load(a[1]))
    assert loaded.trained_on == [few.rows[i]["unit_id"] for i in idx]
    rest = list(range(60, len(few.rows)))
    assert fakes.predict(few, rest, fm.params, loaded) == fakes.predict(few, rest, fm.params, fm)


def test_a_model_learns_what_the_rules_miss(few):
    """On its own training rows the model follows the gold labels far more often than the rules alone."""
    idx = list(range(len(few.rows)))
    fm = fakes.train_model(few, idx, DEFAULT, steps=60)
    rules_only = fakes.score(fakes.predict(few, idx, DEFAULT), few.golds)
    learned = fakes.score(fakes.predict(few, idx, DEFAULT, fm), few.golds)
    assert learned["actor"] > rules_only["actor"] and learned["location"] >= rules_only["location"]


def test_cross_validation_trains_again_without_the_held_out_fold(few, monkeypatch):
    trained: list[set[str]] = []
    real = fakes.train_model

    def spy(prep, idx, p):
        trained.append({prep.rows[i]["unit_id"] for i in idx})
        return real(prep, idx, p, steps=20)

    monkeypatch.setattr(fakes, "train_model", spy)
    monkeypatch.setattr(fakes, "GRID", {"title_weight": (1.0, 3.0)})  # a small grid: the test is about folds
    held, params, per_fold = fakes.cross_validate(few, 3)
    assert len(trained) == 3 and len(per_fold) == 3 and set(held) == set(fakes.FIELDS)
    for hold, seen in zip(fakes.folds(len(few.rows), 3), trained, strict=True):
        assert not seen & {few.rows[i]["unit_id"] for i in hold}
        assert len(seen) == len(few.rows) - len(hold)


def test_eval_says_the_rows_were_used_for_training_and_extract_writes_fakes_labels(tmp_path):
    rows = fakes.read_rows(FAKES)[:12]
    small = tmp_path / "small.csv"
    with small.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        w.writerow({**rows[0], "unit_id": "new-1"})  # an article the shipped model never saw
    res = runner.invoke(cli, ["intake", "eval", str(small)])
    assert res.exit_code == 0, res.output
    assert "12 of these 13 articles were used to train the shipped model" in " ".join(res.output.split())
    res = runner.invoke(cli, ["intake", "eval", str(small), "--json"])
    got = json.loads(res.output[res.output.index("{"):])
    assert got["used_in_training"] == 12 and got["cross_validated"] is None
    out = tmp_path / "pred.jsonl"
    res = runner.invoke(cli, ["intake", "extract", str(small), "-o", str(out)])
    assert res.exit_code == 0, res.output
    preds = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [p["unit_id"] for p in preds] == [r["unit_id"] for r in rows] + ["new-1"]
    assert all(p["location"] in fakes.LOCATIONS and p["actor"] in fakes.ACTORS for p in preds)
    assert all(p["cause_of_death"] in fakes.CAUSES for p in preds)
