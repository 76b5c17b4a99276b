#!/usr/bin/env bash
# install.sh: `make install`. Copies the three programs, the systemd units (paths rewritten for
# PREFIX/SYSCONFDIR), the sysusers.d and tmpfiles.d entries, the logrotate recipe and the
# production configs into DESTDIR. An existing config is the operator's: never overwritten
# (the new one is left next to it as *.yaml.new). Configs hold passwords: mode 0640, and group
# vigil when installing as root into the real root (a package build with DESTDIR sets owners in
# its own step). Environment: DESTDIR PREFIX BINDIR SYSCONFDIR UNITDIR SYSUSERSDIR TMPFILESDIR
# LOGROTATEDIR BIN (the build's binary folder), all set by the Makefile.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
: "${PREFIX:=/usr/local}" "${BIN:=$top/bin}" "${DESTDIR:=}"
: "${BINDIR:=$PREFIX/bin}" "${SYSCONFDIR:=/etc}"
: "${UNITDIR:=$PREFIX/lib/systemd/system}" "${SYSUSERSDIR:=$PREFIX/lib/sysusers.d}"
: "${TMPFILESDIR:=$PREFIX/lib/tmpfiles.d}" "${LOGROTATEDIR:=$SYSCONFDIR/logrotate.d}"
confdir=$SYSCONFDIR/vigil

for b in vigil-store vigil-sentinel vigilctl; do
    [ -x "$BIN/$b" ] || { echo "install: $BIN/$b is not built (run make)" >&2; exit 1; }
done
install -d -m 0755 "$DESTDIR$BINDIR" "$DESTDIR$UNITDIR" "$DESTDIR$SYSUSERSDIR" \
    "$DESTDIR$TMPFILESDIR" "$DESTDIR$LOGROTATEDIR"
install -d -m 0750 "$DESTDIR$confdir"
install -m 0755 "$BIN/vigil-store" "$BIN/vigil-sentinel" "$BIN/vigilctl" "$DESTDIR$BINDIR/"

for unit in vigil-store.service vigil-sentinel.service; do
    sed -e "s#/usr/local/bin/#$BINDIR/#g" -e "s#/etc/vigil/#$confdir/#g" \
        "$top/configs/systemd/$unit" > "$DESTDIR$UNITDIR/$unit.tmp"
    chmod 0644 "$DESTDIR$UNITDIR/$unit.tmp"
    mv "$DESTDIR$UNITDIR/$unit.tmp" "$DESTDIR$UNITDIR/$unit"
done
install -m 0644 "$top/configs/systemd/vigil.sysusers" "$DESTDIR$SYSUSERSDIR/vigil.conf"
install -m 0644 "$top/configs/systemd/vigil.tmpfiles" "$DESTDIR$TMPFILESDIR/vigil.conf"
install -m 0644 "$top/configs/logrotate/vigil" "$DESTDIR$LOGROTATEDIR/vigil"

# Group vigil only where it means something: the real root, as root, once the user exists.
group_args=()
if [ -z "$DESTDIR" ] && [ "$(id -u)" -eq 0 ] && getent group vigil >/dev/null; then
    group_args=(-o root -g vigil)
    chgrp vigil "$confdir"
fi
for conf in store.yaml sentinel.yaml; do
    dest=$DESTDIR$confdir/$conf
    if [ -e "$dest" ]; then
        install -m 0640 "${group_args[@]}" "$top/configs/production/$conf" "$dest.new"
        echo "install: kept $dest (the new example is $dest.new)"
    else
        install -m 0640 "${group_args[@]}" "$top/configs/production/$conf" "$dest"
    fi
done

if [ -z "$DESTDIR" ]; then
    cat <<MSG
install: done. Next, on each host:
  systemd-sysusers && systemd-tmpfiles --create   # the vigil user and its folders
  chgrp vigil $confdir $confdir/*.yaml            # if the user did not exist before this install
  edit $confdir/store.yaml and sentinel.yaml      # the fields the README lists per host
  vigil-store --check-config $confdir/store.yaml && vigil-sentinel --check-config $confdir/sentinel.yaml
  systemctl daemon-reload && systemctl enable --now vigil-store vigil-sentinel
MSG
fi
