#!/bin/sh
# Imports the Assay audit data view, visualisations, saved search and dashboard into Kibana
# through its saved objects API (POST /api/saved_objects/_import), replacing earlier versions.
#
#   KIBANA_URL=https://kibana.example:5601 KIBANA_API_KEY=... deploy/kibana/import.sh
#   KIBANA_URL=... KIBANA_USERNAME=elastic KIBANA_PASSWORD=... deploy/kibana/import.sh
#
# Optional: KIBANA_SPACE (import into that space), KIBANA_CA (CA file for https).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${KIBANA_URL:?set KIBANA_URL, e.g. http://127.0.0.1:5601}"
file="${1:-$here/assay-audit.ndjson}"
base="${KIBANA_URL%/}"
[ -n "${KIBANA_SPACE:-}" ] && base="$base/s/$KIBANA_SPACE"

set -- -sS --fail-with-body -X POST "$base/api/saved_objects/_import?overwrite=true" \
  -H 'kbn-xsrf: true' --form "file=@$file"
if [ -n "${KIBANA_API_KEY:-}" ]; then
  set -- "$@" -H "Authorization: ApiKey $KIBANA_API_KEY"
elif [ -n "${KIBANA_USERNAME:-}" ]; then
  set -- "$@" -u "$KIBANA_USERNAME:${KIBANA_PASSWORD:-}"
fi
[ -n "${KIBANA_CA:-}" ] && set -- "$@" --cacert "$KIBANA_CA"

out=$(curl "$@")
echo "$out"
case "$out" in
  *'"success":true'*) echo "imported $(grep -c . "$file") saved objects" >&2 ;;
  *) echo "import failed" >&2; exit 1 ;;
esac
