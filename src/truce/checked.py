"""What the pydantic models of a new record share (`parties/schemas.py`, `zones/schemas.py`): one way to check
input and name the wrong field, one rule for names in the readers' languages, one for a value from a list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ValidationError

from truce.errors import from_pydantic


class Checked(BaseModel):
    """An input model whose refusals name the field under the record's kind (`party.kind`, `zone.names`)."""

    FIELD_PREFIX: ClassVar[str] = ""

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Self:
        """The record `data` describes, or ValidationFailed naming the first wrong field."""
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise from_pydantic(e, cls.FIELD_PREFIX) from e


def names_in_languages(names: dict[str, str], languages: tuple[str, ...]) -> dict[str, str]:
    """A record's names in the readers' languages ({"ar": "..."}): every key one of `languages`, blank names
    dropped, the rest stripped."""
    bad = sorted(k for k in names if k not in languages)
    if bad:
        raise ValueError(f"unknown language {bad[0]!r}: expected one of {', '.join(languages)}")
    return {k: n.strip() for k, n in names.items() if n and n.strip()}


def one_of(allowed: tuple[str, ...]) -> Callable[[str | None], str | None]:
    """A check (for `AfterValidator`) that a value, when given, is one of `allowed`."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return check
