"""One field list for a report (`reports.schemas.REPORT_INPUT_FIELDS`, from ReportIn): the mapped-CSV importer's
fields are its names, and `report submit`'s flags and the web form's inputs are made from its one description
(`reports.fields.INPUT_FIELDS`)."""

from __future__ import annotations

import re
from pathlib import Path

from truce.cli import all_commands
from truce.ingest.mapped import FIELDS as MAPPED_FIELDS
from truce.reports.fields import INPUT_FIELDS, WEB_FORM
from truce.reports.models import CASUALTY_FIELDS, VIOLATION_TYPES
from truce.reports.schemas import REPORT_INPUT_FIELDS, Casualties, ReportIn
from truce.web import views

FORM = Path(__file__).resolve().parents[2] / "src" / "truce" / "web" / "templates" / "report.html"


def test_the_list_is_reportin_with_its_casualties_flattened():
    assert set(REPORT_INPUT_FIELDS) == (set(ReportIn.model_fields) - {"casualties"}) | set(Casualties.model_fields)
    assert tuple(Casualties.model_fields) == CASUALTY_FIELDS


def test_the_mapped_importer_takes_exactly_the_list_and_the_rows_own_id():
    assert set(MAPPED_FIELDS) == {"external_id", *REPORT_INPUT_FIELDS}


def test_the_description_names_each_field_of_the_list_once():
    names = [f.name for f in INPUT_FIELDS]
    assert len(names) == len(set(names))
    assert set(names) <= set(REPORT_INPUT_FIELDS)
    web = {f.name for f in INPUT_FIELDS if f.web}
    laid_out = set()
    for _legend, items in WEB_FORM:
        for item in items:
            laid_out |= {item} if isinstance(item, str) else set(item)
    assert laid_out == web, "the form lays out exactly the fields that have a web input"


def test_report_submit_flags_are_made_from_the_description():
    cmd = all_commands()["report submit"]
    options = [p for p in cmd.params if p.name not in ("file", "evidence", "db", "as_user", "json_", "request_id")]
    flagged = [f for f in INPUT_FIELDS if f.flag]
    assert [p.name for p in options] == [f.parameter for f in flagged]
    for p, f in zip(options, flagged, strict=True):
        assert p.opts == [f.flag] and p.help == f.help and p.multiple == f.repeatable, f.name
    assert [p.name for p in cmd.params][0] == "file" and [p.name for p in cmd.params][-5] == "evidence"


def _rendered_form() -> str:
    """The form's part of the page (the page around it needs a request)."""
    template = views._env.get_template("report.html")
    context = template.new_context({
        "bounds": "", "client_id": "c", "csrf": "x", "parties": [{"id": "SYR", "name": "Syria"}],
        "now": "2017-10-02T00:00", "report_form": WEB_FORM, "report_fields": {f.name: f for f in INPUT_FIELDS},
    })
    return "".join(template.blocks["content"](context))


def test_the_web_form_is_made_from_the_description():
    html = _rendered_form()
    names = re.findall(r'name="([a-z_]+)"', html)
    names = [n for n in names if n not in ("csrf", "client_id", "evidence")]
    assert names == [n for _legend, items in WEB_FORM for item in items for n in ([item] if isinstance(item, str)
                                                                                     else item)]
    assert set(names) <= set(REPORT_INPUT_FIELDS)
    select = re.search(r'<select name="violation_type" required>(.*?)</select>', html, flags=re.S)
    assert select and re.findall(r'<option value="([a-z_]+)">', select.group(1)) == list(VIOLATION_TYPES)
    assert 'name="place_name" list="places"' in html and 'maxlength="300"' in html
    written = FORM.read_text("utf-8")
    assert not [n for n in names if f'name="{n}"' in written], "the template writes no report input by hand"
