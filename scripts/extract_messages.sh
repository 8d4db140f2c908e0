#!/usr/bin/env bash
# Re-extract Truce's translatable strings (web pages, CLI, refusals, bulletin) into
# src/truce/web/locale/messages.pot and merge them into every language's messages.po (pybabel), then
# compile the .mo files that Truce reads. Translate the new or changed entries (marked fuzzy or empty)
# and run it again; tests/test_i18n.py fails while a message is untranslated.
# A new language:  .venv/bin/pybabel init -i src/truce/web/locale/messages.pot -d src/truce/web/locale -l xx
set -euo pipefail
cd "$(dirname "$0")/.."
LOCALE=src/truce/web/locale
.venv/bin/pybabel extract -F src/truce/web/babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location --sort-output \
  --project Truce -o "$LOCALE/messages.pot" src/truce
echo "wrote $LOCALE/messages.pot: $(grep -c '^msgid "' "$LOCALE/messages.pot") strings"
if compgen -G "$LOCALE/*/LC_MESSAGES/messages.po" >/dev/null; then
  .venv/bin/pybabel update -i "$LOCALE/messages.pot" -d "$LOCALE" --no-wrap --ignore-obsolete --no-fuzzy-matching
  .venv/bin/pybabel compile -d "$LOCALE" --statistics
fi
