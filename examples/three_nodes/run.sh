#!/usr/bin/env bash
# Starts the local three-node cluster (scripts/cluster-up.sh, which installs
# and builds first; TROUPE_BIN=path skips that), then calls every route the
# nodes serve, each time through a different node than the one that wrote,
# printing each curl command and its answer. Stops the cluster at the end
# (KEEP=1 leaves it running). Exits 1 if any answer has an unexpected status.
set -euo pipefail
cd "$(dirname "$0")/../.."
n1=http://127.0.0.1:8081 n2=http://127.0.0.1:8082 n3=http://127.0.0.1:8083
failed=0

scripts/cluster-up.sh
[[ ${KEEP:-0} == 1 ]] || trap scripts/cluster-down.sh EXIT

# call STATUS curl-args...: runs curl, prints the command, the status and
# the body (its first 300 bytes).
call() {
  local want=$1 out status body
  shift
  echo "\$ curl $*"
  out=$(curl -sS -w $'\n%{http_code}' "$@")
  status=${out##*$'\n'}
  body=${out%$'\n'*}
  ((${#body} <= 300)) || body="${body:0:300} ..."
  printf '%s\n-> %s\n\n' "$body" "$status"
  [[ $status == "$want" ]] || {
    echo "!! expected $want" >&2
    failed=1
  }
}
json_field() { sed -nE "s/.*\"$1\" *: *\"([^\"]*)\".*/\1/p"; }

echo "== operations"
call 200 "$n1/healthz"
call 200 "$n2/readyz"
call 200 "$n3/api/v1/cluster"
call 200 "$n1/metrics"

echo "== pastebin and short links"
link=$(curl -sS -XPOST "$n1/pastebin/api/v1/paste" \
  -d '{"paste_contents":"Hello from n1!","expiration_length_in_minutes":60}' | json_field shortlink)
echo "created paste $link through n1"
call 200 "$n2/pastebin/api/v1/paste?shortlink=$link"
call 400 -XPOST "$n2/pastebin/api/v1/paste" -d '{"paste_contents":42}'
short=$(curl -sS -XPOST "$n3/pastebin/api/v1/url" -d '{"url":"https://example.com/"}' | json_field shortlink)
echo "created short URL $short through n3"
call 301 "$n1/s/$short" -o /dev/null -D -
call 200 "$n2/pastebin/api/v1/stats?month=$(date -u +%Y-%m)"

echo "== key-value query cache"
call 204 -XPUT "$n1/cache/api/v1/entry?key=greeting&ttl_seconds=300" --data-binary 'hello'
call 200 "$n2/cache/api/v1/entry?key=greeting"
call 200 "$n3/cache/api/v1/stats"
call 204 -XDELETE "$n1/cache/api/v1/entry?key=greeting"
call 404 "$n3/cache/api/v1/entry?key=greeting"

((failed == 0)) && echo "every route answered as expected"
exit "$failed"
