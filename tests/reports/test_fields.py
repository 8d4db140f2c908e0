"""One field list for a report (`reports.schemas.REPORT_INPUT_FIELDS`, from ReportIn): the mapped-CSV importer's
fields, `report submit`'s flags and the web form's inputs all name fields of it."""

from __future__ import annotations

import re
from pathlib import Path

from truce.cli import all_commands
from truce.cli.reports import FLAG_FIELDS
from truce.ingest.mapped import FIELDS as MAPPED_FIELDS
from truce.reports.schemas import CASUALTY_FIELDS, REPORT_INPUT_FIELDS, Casualties, ReportIn

FORM = Path(__file__).resolve().parents[2] / "src" / "truce" / "web" / "templates" / "report.html"


def test_the_list_is_reportin_with_its_casualties_flattened():
    assert set(REPORT_INPUT_FIELDS) == (set(ReportIn.model_fields) - {"casualties"}) | set(Casualties.model_fields)
    assert tuple(Casualties.model_fields) == CASUALTY_FIELDS


def test_the_mapped_importer_takes_exactly_the_list_and_the_rows_own_id():
    assert set(MAPPED_FIELDS) == {"external_id", *REPORT_INPUT_FIELDS}


def test_report_submit_flags_set_fields_of_the_list():
    cmd = all_commands()["report submit"]
    params = {p.name for p in cmd.params} - {"file", "evidence", "db", "as_user", "json_", "weapon", "request_id"}
    assert params == set(FLAG_FIELDS), "every flag of `report submit` maps to a field (FLAG_FIELDS)"
    assert set(FLAG_FIELDS.values()) <= set(REPORT_INPUT_FIELDS)


def test_the_web_form_names_fields_of_the_list():
    names = set(re.findall(r'name="([a-z_]+)"', FORM.read_text("utf-8"))) - {"csrf", "client_id", "evidence"}
    assert names, "the form has no input"
    assert names <= set(REPORT_INPUT_FIELDS), names - set(REPORT_INPUT_FIELDS)
