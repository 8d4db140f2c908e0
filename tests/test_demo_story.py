"""The story file that `truce demo` plays: read in one place, each step dated and in order, none after the clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from truce.demo_story import STEPS, load_story


def test_the_bundled_story_reads_in_order_up_to_its_last_day() -> None:
    story = load_story()
    assert story["today"] == "2017-12-31"
    days = [s["date"][:10] for s in story["steps"]]
    assert days == sorted(days) and days[-1] <= story["today"]
    assert {s["kind"] for s in story["steps"]} == set(STEPS)  # the story uses every kind of step
    assert all(s.get("actor") for s in story["steps"])


@pytest.mark.parametrize(
    ("steps", "words"),
    [
        ("- {date: 2017-09-02, kind: evaluate, actor: joint_verifier}\n"
         "- {date: 2017-09-01, kind: evaluate, actor: joint_verifier}\n", "before the step above"),
        ("- {date: 2018-01-02, kind: evaluate, actor: joint_verifier}\n", "after the story's last day"),
        ("- {date: 2017-09-02, kind: vote, actor: joint_verifier}\n", "is not one of"),
    ],
)
def test_a_story_out_of_order_or_past_its_day_is_refused(tmp_path: Path, steps: str, words: str) -> None:
    f = tmp_path / "story.yaml"
    f.write_text("today: 2017-12-31\nsteps:\n" + steps, encoding="utf-8")
    with pytest.raises(ValueError, match=words):
        load_story(f)
