#!/usr/bin/env bash
# Figure 15: throughput and latency over TLS with redis-benchmark --tls, Vigil beside Redis,
# both serving the same certificate (a test CA, server and client certificates made here with
# openssl; tls-auth-clients yes, so clients present theirs as in docs/tls.md).
#
#   redis-benchmark --tls -c 50 -n 2000000 -t set,get -P 16   (and -n 200000 -P 1)
#
# against a master alone. Recorded per test: requests per second, p50 and p99 latency (ms);
# per depth, the server's CPU time per request (/proc/<pid>/stat over the run), which a busy
# 2-core machine, where redis-benchmark competes with the server, skews far less than rps.
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
# At -P 16 both servers pass 700k-1M requests/s here: 200,000 requests took 0.3 s and the
# median of three swung +-25% between runs of the same binaries. Ten times as many take 2-3 s.
PIPE_REQUESTS[16]=$((REQUESTS * 10))

for p in "${PIPES[@]}"; do
    for t in "${TESTS[@]}"; do
        target=""
        [ "$p" = 16 ] && target=">= 1.0x"
        bench_metric "tls.P$p.$t.rps" "$t -P $p over TLS" "requests/s" higher "$target" \
            "requests/s, -P $p"
        bench_metric "tls.P$p.$t.p50_ms" "$t -P $p over TLS, p50" ms lower "" "p50 latency, ms"
        bench_metric "tls.P$p.$t.p99_ms" "$t -P $p over TLS, p99" ms lower "" "p99 latency, ms"
    done
    bench_metric "tls.P$p.cpu_us" "SET and GET -P $p over TLS, server CPU per request (with busy polling)" us lower \
        "" "server CPU per request, us"
done
for t in "${TESTS[@]}"; do
    bench_metric "tls.instr.$t" "instructions per $t over TLS, -P 16 (callgrind)" instructions \
        lower "<= 1.0x" "instructions per request"
done
# One client: its handshake (a few million instructions in OpenSSL, the same on both sides) is
# then under 1% of the count.
INSTR_REQUESTS=100000
[ "$BENCH_QUICK" = 1 ] && INSTR_REQUESTS=20000
INSTR_CLIENTS=1

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
    BENCH_PIPES_PID=$LAST_PID bench_pipes "$side" "$trial" tls "$tport" set,get TLS \
        --tls --cacert "$PKI/ca.crt" --cert "$PKI/client.crt" --key "$PKI/client.key"
    bench_teardown
}

# run_instr_tls SIDE TRIAL: instructions per SET and per GET over TLS, the store under callgrind.
run_instr_tls() {
    local side=$1 trial=$2 ports port tport t
    command -v valgrind >/dev/null || { bench_na "tls.instr.*" "$side" "valgrind not installed"; return 0; }
    ports=$(bench_ports 2) || return 1
    read -r port tport <<<"$ports"
    bench_start_store_callgrind "$side" instr "$port" --tls-port "$tport" \
        --tls-cert-file "$PKI/server.crt" --tls-key-file "$PKI/server.key" \
        --tls-ca-cert-file "$PKI/ca.crt" 2>"$BENCH_TMP/err" || {
        bench_fail "$side" "tls.instr.*" "$(tail -n 3 "$BENCH_TMP/err" | tr '\n' ' ')"; return 0; }
    for t in "${TESTS[@]}"; do
        bench_instr_of "$side" "$trial" "$tport" "$LAST_PID" "tls.instr.$t" --tls \
            --cacert "$PKI/ca.crt" --cert "$PKI/client.crt" --key "$PKI/client.key" \
            -t "${t,,}"
    done
    bench_teardown
}

run_side() {
    run_tls "$@"
    run_instr_tls "$@"
}

bench_trials run_side

bench_finish "Figure 15: throughput and latency over TLS (redis-benchmark --tls -c 50, -n $REQUESTS; -n ${PIPE_REQUESTS[16]} at -P 16)"
