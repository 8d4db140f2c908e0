#!/usr/bin/env bash
# Regenerate the initial migration from the table definitions (only while nothing has been released:
# once a database in the field has run 0001, schema changes become new migrations instead).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f src/truce/migrations/versions/0001_core_schema.py
.venv/bin/python - "$tmp" <<'PY'
import sys
from alembic import command
from truce.db import alembic_config
cfg = alembic_config()
cfg.set_main_option("sqlalchemy.url", f"sqlite:///{sys.argv[1]}/gen.db")
command.revision(cfg, message="core schema", autogenerate=True, rev_id="0001")
PY
sed -i 's/^Create Date: .*/Create Date: 2026-11-28/' src/truce/migrations/versions/0001_core_schema.py
.venv/bin/ruff format -q src/truce/migrations/versions/0001_core_schema.py
.venv/bin/ruff check -q --fix src/truce/migrations/versions/0001_core_schema.py || true
rm -rf "$tmp"
