#!/usr/bin/env bash
# Runs `hoplab analyze` over many recordings the way a cluster does, on one machine: the file list
# is cut into SHARDS parts, each part is analysed by its own process (on Slurm: one array task),
# and the parts' JSON tables are merged into one. docs/interchange.md "Scaling out" explains it.
#
#   analyze_many.sh shard INDEX SHARDS FOLDER PARTS_DIR   one part (INDEX 0 … SHARDS-1)
#   analyze_many.sh merge PARTS_DIR TABLE.json            the parts → one table, in file order
#   analyze_many.sh local FOLDER TABLE.json SHARDS        all parts here, then merge
#
# HOPLAB names the hoplab program (default: hoplab on PATH); PYTHON an interpreter with the
# standard json module (default /usr/bin/python3). Exit status: non-zero if any part failed.
set -euo pipefail
HOPLAB=${HOPLAB:-hoplab}
PYTHON=${PYTHON:-/usr/bin/python3}

list_files() {  # the recordings of FOLDER, sorted, one per line
    find "$1" -maxdepth 1 -type f \( -name '*.h5' -o -name '*.csv' \) | LC_ALL=C sort
}

shard() {  # INDEX SHARDS FOLDER PARTS_DIR
    local index=$1 shards=$2 folder=$3 parts=$4
    mkdir -p "$parts"
    mapfile -t files < <(list_files "$folder" | awk -v i="$index" -v n="$shards" '(NR - 1) % n == i')
    if [ "${#files[@]}" -eq 0 ]; then
        echo '[]' > "$parts/part-$index.json"
        return 0
    fi
    # One process per part: hoplab itself runs with --jobs 1 so that SHARDS processes fill the
    # machine (or the allocation) and no more.
    "$HOPLAB" analyze --jobs 1 --table "$parts/part-$index.json" -- "${files[@]}"
}

merge() {  # PARTS_DIR TABLE.json
    "$PYTHON" - "$1" "$2" <<'PY'
import json, pathlib, sys
parts = sorted(pathlib.Path(sys.argv[1]).glob("part-*.json"))
rows = [row for part in parts for row in json.loads(part.read_text())]
rows.sort(key=lambda row: (row["file"], row["id"]))
pathlib.Path(sys.argv[2]).write_text(json.dumps(rows, indent=2) + "\n")
print(f"{len(parts)} parts, {len(rows)} trials -> {sys.argv[2]}")
PY
}

case "${1:-}" in
shard) shard "$2" "$3" "$4" "$5" ;;
merge) merge "$2" "$3" ;;
local)
    folder=$2 table=$3 shards=$4
    parts=$(mktemp -d)
    trap 'rm -rf "$parts"' EXIT
    pids=()
    for ((i = 0; i < shards; i++)); do
        shard "$i" "$shards" "$folder" "$parts" &
        pids+=($!)
    done
    status=0
    for pid in "${pids[@]}"; do
        wait "$pid" || status=1
    done
    merge "$parts" "$table"
    exit $status
    ;;
*)
    sed -n '2,13p' "$0" >&2
    exit 2
    ;;
esac
