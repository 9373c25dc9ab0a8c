#!/usr/bin/env bash
# RFC 6455 conformance: runs the Autobahn|Testsuite fuzzing-client cases
# (through kosoku, from PyPI, in the venv deploy/deps.sh makes) against
# ws-gateway's echo endpoint, which uses the same WebSocket stack, limits and
# close handling as /ws.
# Compression cases (12.*, 13.*) are excluded: permessage-deflate is off.
# Reports go to target/conformance/; the run fails if any case fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

profile=${PROFILE:-debug}
target=${CARGO_TARGET_DIR:-target}
gateway=$target/$profile/ws-gateway
venv=$target/conformance-venv
reports=$target/conformance

[ -x "$gateway" ] || { echo "conformance: $gateway is missing; run 'cargo build --bins' first" >&2; exit 1; }
# deploy/deps.sh (make deps) installs both.
command -v redis-server >/dev/null || { echo "conformance: redis-server is missing; run make deps" >&2; exit 1; }
[ -x "$venv/bin/kosoku" ] || { echo "conformance: $venv is missing; run make deps" >&2; exit 1; }

source tests/scripts/gateway-stack.sh
start_gateway_stack "$gateway" --echo-path / --max-client-message-size 20000000

rm -rf "$reports"
if "$venv/bin/kosoku" "127.0.0.1:$ws_port" -x '12.*' -x '13.*' -p 4 -o "$reports"; then
  python3 - "$reports/index.json" <<'PY'
import json, sys, collections
index = json.load(open(sys.argv[1]))
verdicts = collections.Counter()
for agent in index.values():
    for case in agent.values():
        verdicts[case["behavior"]] += 1
failed = sum(n for v, n in verdicts.items() if v not in ("OK", "NON-STRICT", "INFORMATIONAL"))
print("conformance verdicts:", dict(verdicts))
print(f"conformance: {sum(verdicts.values()) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
else
  echo "conformance: some Autobahn cases failed; see $reports/index.html" >&2
  exit 1
fi
