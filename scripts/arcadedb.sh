# Sourced by scripts/test and scripts/bench-bolt: `start_arcadedb HEAP`
# fetches ArcadeDB (once, into the target dir) and starts it on free
# loopback ports with its Bolt plugin; the server stops when the caller
# exits. Exports BINGRAPH_TEST_BOLT (bolt:// URI), BINGRAPH_TEST_ARCADEDB_HTTP,
# BINGRAPH_TEST_BOLT_PASSWORD (user root).
start_arcadedb() {
local heap=${1:-1g}
local target_dir="${CARGO_TARGET_DIR:-target}"
# ArcadeDB with its Bolt plugin.
# Neo4j cannot be installed here; PyPI's arcadedb-embedded wheel carries
# ArcadeDB's jars and a JRE, so nothing else is needed.
ARCADEDB_VERSION=26.10.2.post1
arcadedb="$target_dir/arcadedb-$ARCADEDB_VERSION"
if [ ! -x "$arcadedb/arcadedb_embedded/jre/bin/java" ]; then
  echo "arcadedb.sh: fetching ArcadeDB $ARCADEDB_VERSION (jars and JRE) from PyPI"
  tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary :all: --python-version 3.11 \
    --platform manylinux_2_34_x86_64 -d "$tmp" "arcadedb-embedded==$ARCADEDB_VERSION"
  python3 - "$tmp" "$arcadedb" <<'PY'
import glob, os, sys, zipfile
whl = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        if info.filename.startswith(("arcadedb_embedded/jre/", "arcadedb_embedded/jars/")):
            path = z.extract(info, sys.argv[2])
            mode = info.external_attr >> 16
            if mode:
                os.chmod(path, mode & 0o777)
PY
  rm -rf "$tmp"
fi
read -r bolt_port http_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
arcadedb_root=$(mktemp -d)
export BINGRAPH_TEST_BOLT_PASSWORD="bingraph-tests-$$"
arcadedb_abs=$(cd "$arcadedb" && pwd)
# From inside its root: ArcadeDB writes log/ in the working directory.
(cd "$arcadedb_root" && exec "$arcadedb_abs/arcadedb_embedded/jre/bin/java" -Xmx"$heap" \
  -cp "$arcadedb_abs/arcadedb_embedded/jars/*" \
  -Darcadedb.server.rootPath="$arcadedb_root" \
  -Darcadedb.server.rootPassword="$BINGRAPH_TEST_BOLT_PASSWORD" \
  -Darcadedb.server.httpIncomingPort="$http_port" -Darcadedb.bolt.port="$bolt_port" \
  -Darcadedb.server.plugins="Bolt:com.arcadedb.bolt.BoltProtocolPlugin" \
  com.arcadedb.server.ArcadeDBServer >"$arcadedb_root/server.log" 2>&1) &
arcadedb_pid=$!
trap 'kill $arcadedb_pid 2>/dev/null; wait $arcadedb_pid 2>/dev/null || true; rm -rf "$arcadedb_root"' EXIT
for _ in $(seq 120); do
  grep -q "ArcadeDB Server started" "$arcadedb_root/server.log" && break
  kill -0 $arcadedb_pid 2>/dev/null || break
  sleep 0.5
done
if ! grep -q "incoming BOLT connections" "$arcadedb_root/server.log"; then
  echo "arcadedb.sh: ArcadeDB did not start:" >&2
  cat "$arcadedb_root/server.log" >&2
  exit 1
fi
export BINGRAPH_TEST_BOLT="bolt://127.0.0.1:$bolt_port"
export BINGRAPH_TEST_ARCADEDB_HTTP="http://127.0.0.1:$http_port"
}
