#!/usr/bin/env bash
# Figure 15: throughput and latency over TLS with redis-benchmark --tls, Vigil beside Redis,
# both serving the same certificate (a test CA, server and client certificates made here with
# openssl; tls-auth-clients yes, so clients present theirs as in docs/tls.md).
#
#   redis-benchmark --tls -c 50 -n 200000 -t set,get -P 16   (and -P 1)
#
# against a master alone. Recorded per test: requests per second, p50 and p99 latency (ms).
# Target: SET/GET -P 16 rps >= 1.0x Redis (issue 22), p99 reported.
# Usage: scripts/bench/fig15-tls.sh [--quick] [--trials N] [--keep]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
bench_init fig15-tls 3 1 "$@"

REQUESTS=200000
[ "$BENCH_QUICK" = 1 ] && REQUESTS=20000
REQUESTS=${BENCH_REQUESTS:-$REQUESTS}
TESTS=(SET GET)
PIPES=(16 1)

for p in "${PIPES[@]}"; do
    for t in "${TESTS[@]}"; do
        target=""
        [ "$p" = 16 ] && target=">= 1.0x"
        bench_metric "tls.P$p.$t.rps" "$t -P $p over TLS" "requests/s" higher "$target" \
            "requests/s, -P $p"
        bench_metric "tls.P$p.$t.p50_ms" "$t -P $p over TLS, p50" ms lower "" "p50 latency, ms"
        bench_metric "tls.P$p.$t.p99_ms" "$t -P $p over TLS, p99" ms lower "" "p99 latency, ms"
    done
done

bench_store_na

# The PKI: one CA, one server and one client certificate, shared by both sides.
PKI="$BENCH_TMP/pki"
make_pki() {
    mkdir -p "$PKI" && cd "$PKI" || return 1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench-ca -keyout ca.key \
        -out ca.crt &&
        for n in server client; do
            openssl req -newkey rsa:2048 -nodes -subj "/CN=bench-$n" -keyout $n.key -out $n.csr &&
                openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
                    -out $n.crt || return 1
        done
}
(make_pki) >"$BENCH_TMP/pki.log" 2>&1 || { echo "openssl failed: $(tail -n 3 "$BENCH_TMP/pki.log")" >&2; exit 1; }

# run_tls SIDE TRIAL: a master with a plaintext port (for the harness's PING) and a TLS port.
run_tls() {
    local side=$1 trial=$2 ports port tport
    ports=$(bench_ports 2) || return 1
    read -r port tport <<<"$ports"
    bench_start_store "$side" master "$port" --tls-port "$tport" --tls-cert-file "$PKI/server.crt" \
        --tls-key-file "$PKI/server.key" --tls-ca-cert-file "$PKI/ca.crt" 2>"$BENCH_TMP/err" || {
        bench_fail "$side" "tls.*" "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"; return 0; }
    bench_pipes "$side" "$trial" tls "$tport" set,get TLS \
        --tls --cacert "$PKI/ca.crt" --cert "$PKI/client.crt" --key "$PKI/client.key"
    bench_teardown
}

bench_trials run_tls

bench_finish "Figure 15: throughput and latency over TLS (redis-benchmark --tls -c 50 -n $REQUESTS)"
