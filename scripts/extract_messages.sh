#!/usr/bin/env bash
# Re-extract the web app's translatable strings into src/truce/web/locale/messages.pot (pybabel).
# Translators start a language with:  .venv/bin/pybabel init -i src/truce/web/locale/messages.pot \
#     -d src/truce/web/locale -l ar   ... then compile with: .venv/bin/pybabel compile -d src/truce/web/locale
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m babel.messages.frontend extract -F src/truce/web/babel.cfg -k _ --no-location --sort-output \
  --project Truce -o src/truce/web/locale/messages.pot src/truce/web
echo "wrote src/truce/web/locale/messages.pot: $(grep -c '^msgid "' src/truce/web/locale/messages.pot) strings"
