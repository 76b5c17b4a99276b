#!/usr/bin/env bash
# Installs what Vigil needs from Debian's packages, only when something is missing, so a warm
# machine pays a second and a fresh one pays one apt-get run. Never starts or relies on a system
# Redis service: the tests start every process they need on free loopback ports.
# --build: only what building and running needs (make demo): no node/npm, no node_modules.
set -euo pipefail
build_only=0
[ "${1:-}" = "--build" ] && build_only=1

pkgs=(build-essential pkg-config libyaml-dev libcjson-dev libcurl4-openssl-dev libcriterion-dev
      libmicrohttpd-dev libgnutls28-dev libssl-dev libhiredis-dev liblzf-dev liblua5.1-0-dev lua-cjson-dev lua-bitop-dev redis-server redis-sentinel redis-tools python3-redis valgrind
      python3-pytest gnuplot-nox clang-format haproxy systemd logrotate
      clang libclang-rt-dev)  # clang + its libFuzzer/ASan runtime: make fuzz, make fuzz-corpus
if [ "$build_only" -eq 0 ]; then
    command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
    command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    # policy-rc.d 101 keeps Debian's redis packages from starting a service on 6379/26379.
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
        $SUDO chmod +x "$policy"
        made_policy=1
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ "$made_policy" -eq 0 ] || $SUDO rm -f "$policy"
fi

# Node packages for the client compatibility tests, pinned by the committed package-lock.json.
if [ "$build_only" -eq 0 ] && [ -f tests/compat/node/package-lock.json ] &&
    [ ! -d tests/compat/node/node_modules ]; then
    (cd tests/compat/node && npm ci --no-audit --no-fund --loglevel=error)
fi
exit 0
