"""Import every domain's tables so that `truce.db.metadata` knows them all."""

from truce.agreements import models as _agreements  # noqa: F401
from truce.auth import models as _auth  # noqa: F401
from truce.auth import totp as _totp  # noqa: F401
from truce.bulletins import models as _bulletins  # noqa: F401
from truce.db import metadata
from truce.eligibility import models as _eligibility  # noqa: F401
from truce.geo import models as _geo  # noqa: F401
from truce.idempotency import idempotency_keys as _idempotency  # noqa: F401
from truce.incidents import models as _incidents  # noqa: F401
from truce.intake import models as _intake  # noqa: F401
from truce.ledger import models as _ledger  # noqa: F401
from truce.measures import models as _measures  # noqa: F401
from truce.mirror import models as _mirror  # noqa: F401
from truce.parties import models as _parties  # noqa: F401
from truce.reports import models as _reports  # noqa: F401
from truce.zones import models as _zones  # noqa: F401

__all__ = ["metadata"]
