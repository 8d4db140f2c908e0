"""One error type for every refusal, with a code, a message and the fields it concerns."""

from __future__ import annotations

from typing import Any


class TruceError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or ([{"field": field, "message": message}] if field else [])

    @property
    def field(self) -> str | None:
        return self.details[0].get("field") if self.details else None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(TruceError):
    code = "validation_failed"
    status = 422


class PermissionDenied(TruceError):
    code = "permission_denied"
    status = 403


class NotFound(TruceError):
    code = "not_found"
    status = 404


class Conflict(TruceError):
    code = "conflict"
    status = 409


def from_pydantic(exc: Any, prefix: str = "") -> ValidationFailed:
    """Turn a pydantic ValidationError into our error, naming each field."""
    details = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        name = f"{prefix}{loc}" if loc else prefix.rstrip(".") or "input"
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        details.append({"field": name, "message": msg})
    first = details[0] if details else {"field": "input", "message": "invalid input"}
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return ValidationFailed(f"{first['field']}: {first['message']}{more}", details=details)
