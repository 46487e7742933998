#!/usr/bin/env bash
# schemathesis against every connector's generated openapi.json: each connector's proxy runs in
# front of a stand-in upstream (tests/interop/standin.py) on 127.0.0.1, and schemathesis runs all
# its checks with a few examples per operation. Any finding fails the run.
#
# Needs: a Python venv at $VENV with tests/interop/requirements.txt installed, and
# `cargo build --workspace --bins` done (target/debug). No traffic leaves 127.0.0.1: the stand-in
# is the upstream, and the one callback URL schemathesis may send (Asynchronous-End-Point) is
# the stand-in too (see schemathesis.toml).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
: "${VENV:?set VENV to a python venv with tests/interop/requirements.txt installed}"
bin=${CARGO_TARGET_DIR:-$root/target}/debug
examples=${SCHEMATHESIS_MAX_EXAMPLES:-3}
key=interop-caller-key
work=$(mktemp -d)
cleanup() {
  pkill -P $$ 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # url
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing answers $1" >&2
  return 1
}

# A copy of the spec with upstream credentials the run can supply: the specs name OAuth token
# endpoints on the internet and secret files under /run/secrets, which a CI runner has neither
# of. Presigned results need a cloud bucket, so they are served by the proxy here (the monitor's
# 303 then points at /_sluice/jobs/{id}/result, which the document allows). The rules, and so
# every route the document describes, are unchanged.
local_spec() { # name dir
  python3 - "$root/specs/$1.yaml" "$2/$1.yaml" <<'PY'
import re, sys, os
src, dst = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8").read()
text = re.sub(r"^source_auth:.*\n(?:[ \t]+.*\n)*", "source_auth: { kind: bearer, token_env: STANDIN_TOKEN }\n", text, flags=re.M)
rules = re.search(r"^rules_file:\s*(\S+)", text, flags=re.M).group(1)
text = text.replace("rules_file: " + rules, "rules_file: " + os.path.join(os.path.dirname(src), rules))
text = re.sub(r"location: presigned", "location: proxy", text)
open(dst, "w", encoding="utf-8").write(text)
PY
}

# One connector: its stand-in upstream and its proxy on free ports, then schemathesis; the
# report goes to $work/<name>/report.txt and the exit status says whether it found anything.
check_connector() { # openapi.json
  local doc=$1 name dir upstream_port proxy_port env args own=()
  name=$(basename "$(dirname "$doc")")
  dir=$work/$name
  mkdir -p "$dir"
  upstream_port=$(free_port)
  "$VENV/bin/python" "$root/tests/interop/standin.py" "$doc" "$upstream_port" &
  own+=($!)
  proxy_port=$(free_port)
  env=(
    SLUICE_SALT=interop-salt SLUICE_ENCRYPTION_KEY=interop-key SLUICE_API_KEYS=$key
    SLUICE_SIDE_OUTPUT_ORIGINAL=none SLUICE_SIDE_OUTPUT_SANITIZED=none
    SLUICE_CALLBACK_ALLOW_NETWORKS=127.0.0.0/8 SLUICE_CALLBACK_ATTEMPTS=1 SLUICE_THREADS=1
    RUST_LOG=error GITHUB_TOKEN=t JIRA_USER_EMAIL=u JIRA_API_TOKEN=t STANDIN_TOKEN=t
  )
  if grep -q '^enable_async_processing: true' "$root/specs/$name.yaml"; then
    env+=(ASYNC_OUTPUT_DESTINATION="file://$dir/async/")
  fi
  args=(--listen "127.0.0.1:$proxy_port" --upstream "http://127.0.0.1:$upstream_port")
  if grep -qE '^source_auth: \{ kind: (bearer|basic), [a-z_]+_env' "$root/specs/$name.yaml"; then
    # The connector's own binary: its credentials come from the environment.
    (cd "$dir" && exec env "${env[@]}" "$bin/$name-proxy" "${args[@]}") &
  else
    local_spec "$name" "$dir"
    (cd "$dir" && exec env "${env[@]}" "$bin/sluice" serve --spec "$dir/$name.yaml" "${args[@]}") &
  fi
  own+=($!)
  local found=0
  if wait_for "http://127.0.0.1:$proxy_port/_sluice/healthz"; then
    sed "s|@CALLBACK@|http://127.0.0.1:$upstream_port/callback|" \
      "$root/tests/interop/schemathesis.toml" > "$dir/schemathesis.toml"
    # From the connector's temporary directory: schemathesis keeps a `.schemathesis/` cache in
    # the working directory. Every check runs but use_after_free: the one DELETE in these
    # documents, `DELETE /_sluice/jobs/{id}`, cancels a job, and by the async contract
    # (docs/decisions.md, issue 15: "a cancelled job's status is `canceled`", as Azure's
    # operations keep theirs) the job stays readable until its retention ends, so a GET after
    # the DELETE answers the canceled job, never the 404 that check expects.
    (cd "$dir" && exec "$VENV/bin/schemathesis" --no-color --config-file "$dir/schemathesis.toml" run "$doc" \
        --url "http://127.0.0.1:$proxy_port" \
        --header "Authorization: Bearer $key" \
        --checks all --exclude-checks use_after_free --max-examples "$examples" --seed 15) > "$dir/report.txt" 2>&1 || found=1
  else
    echo "$name: the proxy did not start" > "$dir/report.txt"
    found=1
  fi
  kill "${own[@]}" 2>/dev/null || true
  wait "${own[@]}" 2>/dev/null || true
  return $found
}

# Two connectors at a time (schemathesis is CPU-bound, and CI has two cores).
status=0
started=$(date +%s.%N)
declare -A running=()
report() { # name status
  if [ "$2" -ne 0 ]; then
    status=1
    echo "==> schemathesis: $1: FOUND PROBLEMS"
    cat "$work/$1/report.txt"
  else
    echo "==> schemathesis: $1: $(grep -E 'No issues found|warning' "$work/$1/report.txt" | tail -n 1 | tr -d '=')"
  fi
}
reap() { # waits for one finished connector
  local pid rc=0
  wait -n -p pid "${!running[@]}" || rc=$?
  report "${running[$pid]}" "$rc"
  unset "running[$pid]"
}
for doc in "$root"/connectors/*/openapi.json; do
  [ "${#running[@]}" -ge 2 ] && reap
  check_connector "$doc" &
  running[$!]=$(basename "$(dirname "$doc")")
done
while [ "${#running[@]}" -gt 0 ]; do reap; done
echo "schemathesis: six connectors in $(python3 -c "print(round($(date +%s.%N) - $started, 1))") s"
exit $status
