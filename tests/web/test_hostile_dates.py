"""Date filters are parsed strictly everywhere, with the same answer in the API and the CLI: a date or an
ISO 8601 time; anything else is refused (422 / exit 2) naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from tests.web.conftest import client_for
from tests.web.test_api import assert_error, bearer
from typer.testing import CliRunner

from truce.cli import app as cli
from truce.errors import ValidationFailed
from truce.times import day

BAD = ["2017-01-01' OR 1=1--", "21/09/2017", "2017-13-45", "garbage", "2017-02-30", "2017-01-01T25:00:00Z", "2017"]


@pytest.mark.parametrize("value", BAD)
def test_day_parser_refuses(value: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        day(value, "since")
    assert e.value.field == "since"


def test_day_parser_accepts() -> None:
    assert day("2017-09-21", "since") == "2017-09-21"
    assert day("2017-09-21T06:30:00Z", "since") == "2017-09-21"
    assert day("2017-09-21T06:30:00.5+03:00", "x") == "2017-09-21"


@pytest.mark.parametrize(("path", "param"), [
    ("/api/v1/incidents", "since"), ("/api/v1/incidents", "until"), ("/api/v1/incidents/points", "since"),
    ("/api/v1/exports/incidents.csv", "since"), ("/api/v1/exports/incidents.geojson", "until"),
    ("/api/v1/bulletins", "since"), ("/api/v1/bulletins", "until"), ("/api/v1/zones", "as_of"),
    ("/api/v1/parties", "as_of"),
])
def test_api_refuses_bad_dates(world: tuple[str, dict[str, Any]], path: str, param: str) -> None:
    url, w = world
    c = client_for(url)
    for value in BAD[:3]:
        r = c.get(path, params={param: value}, headers=bearer(w, "rus_verifier"))
        assert_error(r, 422, "validation_failed", param)
    assert c.get(path, params={param: "2017-09-21"}, headers=bearer(w, "rus_verifier")).status_code == 200


@pytest.mark.parametrize("args", [
    ["incident", "list", "--since"], ["incident", "list", "--until"], ["export", "incidents", "--since"],
    ["bulletin", "list", "--since"], ["zone", "list", "--as-of"], ["party", "list", "--as-of"],
])
def test_cli_refuses_bad_dates(world: tuple[str, dict[str, Any]], args: list[str]) -> None:
    url, _ = world
    res = CliRunner().invoke(cli, [*args, "21/09/2017", "--db", url])
    assert res.exit_code == 2, res.output
    field = args[-1].lstrip("-").replace("-", "_")
    assert f"{field}: '21/09/2017' is not a date" in res.output
