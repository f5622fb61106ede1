#!/usr/bin/env bash
# A throw-away single-node Ceph cluster with an S3 endpoint (radosgw), on loopback, for
# tests: one monitor, one OSD on memstore (the data lives in the OSD's memory), one
# radosgw (beast on 127.0.0.1, a free port), no mgr (radosgw does not need one), no
# authentication between the daemons, no systemd, no containers. Every daemon runs
# from the packaged binaries (Debian: ceph-mon ceph-osd radosgw ceph-common) and is
# stopped by its pid.
#
#   scripts/ceph-rgw.sh start         start a cluster (replacing one left in the folder),
#                                     create a user, print the endpoint and keys and
#                                     write them to <folder>/env
#   scripts/ceph-rgw.sh stop          stop it and remove the folder (nothing there: ok)
#   scripts/ceph-rgw.sh run CMD...    start, run CMD with the endpoint and keys in its
#                                     environment, stop (also when CMD fails); CMD's status
#
# The folder is $SLUICE_RGW_DIR, default .sluice/ceph-rgw in the repository. The env
# file sets SLUICE_RGW_ENDPOINT, SLUICE_RGW_ACCESS_KEY_ID, SLUICE_RGW_SECRET_ACCESS_KEY,
# SLUICE_RGW_REGION and SLUICE_RGW_LOG (radosgw's log, one line per request). Each step
# of a start may take SLUICE_RGW_STEP_SECONDS (default 90); a start takes about 13 s.
#
# The recipe is the one upstream's vstart.sh follows, for installed packages. Two things
# it needs that are easy to miss: radosgw forces `ms mon client mode = secure`, which
# needs cephx, so with `auth ... = none` it retries forever on "get_initial_auth_request
# returned -13" unless its section sets both client modes to crc; and the monitor
# refuses pools of size 1 unless `mon allow pool size one` is set.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE=${SLUICE_RGW_DIR:-$ROOT/.sluice/ceph-rgw}
CONF=$BASE/ceph.conf
USER_ID=sluice
# How long each step may take before the start is called failed.
STEP_SECONDS=${SLUICE_RGW_STEP_SECONDS:-90}

say() { printf 'ceph-rgw: %s\n' "$*" >&2; }

need() {
  local missing=()
  for binary in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool ceph-authtool node; do
    command -v "$binary" >/dev/null 2>&1 || missing+=("$binary")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "missing: ${missing[*]} (Debian: apt-get install ceph-mon ceph-osd radosgw ceph-common)"
    exit 1
  fi
}

# A TCP port nobody listens on now, from the kernel.
free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_cluster() {
  [ -d "$BASE" ] || return 0
  local pidfile pids=() pid waited
  for pidfile in "$BASE"/run/*.pid; do
    alive "$pidfile" && pids+=("$(cat "$pidfile")")
  done
  # The data is thrown away, so all of them at once: nothing needs a clean handover.
  [ ${#pids[@]} -eq 0 ] || kill -TERM "${pids[@]}" 2>/dev/null || true
  for pid in "${pids[@]}"; do
    for ((waited = 0; waited < 100; waited++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "pid $pid did not stop in 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$BASE"
}

# Says why a start failed, with the end of the log that tells, then cleans up.
fail() {
  local log=$2
  say "start failed: $1"
  if [ -n "$log" ] && [ -f "$log" ]; then
    say "last lines of $log:"
    tail -n 40 "$log" >&2
  fi
  stop_cluster
  exit 1
}

# Polls `check` (a command) every 0.2 s for up to STEP_SECONDS.
wait_for() {
  local what=$1 log=$2 deadline=$((SECONDS + STEP_SECONDS))
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$what: not within ${STEP_SECONDS} s" "$log"
    sleep 0.2
  done
}

ceph_cli() { timeout 20 ceph -c "$CONF" --connect-timeout 10 "$@"; }

osd_up() { ceph_cli osd dump --format json | grep -q '"up":1'; }

rgw_answers() {
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.status < 500 ? 0 : 1), () => process.exit(1))' "$1"
}

start_cluster() {
  need
  stop_cluster
  # Whatever else fails on the way is a failed start too, and is cleaned up the same way.
  trap 'fail "line $LINENO: a command failed" "$BASE/log/steps.log"' ERR
  local began=$SECONDS
  mkdir -p "$BASE"/{mon.a,osd.0,run,log,rgw.a}
  local fsid mon_port rgw_port
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mon_port=$(free_port)
  rgw_port=$(free_port)
  while [ "$rgw_port" = "$mon_port" ]; do rgw_port=$(free_port); done

  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
mon initial members = a
public network = 127.0.0.0/8
ms bind ipv4 = true
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
run dir = $BASE/run
pid file = $BASE/run/\$name.pid
log file = $BASE/log/\$name.log
admin socket = $BASE/run/\$name.asok
keyring = $BASE/keyring

[mon.a]
mon data = $BASE/mon.a

[osd]
osd data = $BASE/\$name
osd objectstore = memstore
memstore device bytes = $((2 * 1024 * 1024 * 1024))

[client.rgw.a]
ms mon client mode = crc
ms client mode = crc
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $BASE/rgw.a
EOF

  local mon_log=$BASE/log/mon.a.log osd_log=$BASE/log/osd.0.log rgw_log=$BASE/log/client.rgw.a.log
  local step_log=$BASE/log/steps.log
  run_step() {
    "$@" >>"$step_log" 2>&1 || fail "$* exited $?" "$step_log"
  }
  run_step monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$BASE/monmap"
  run_step ceph-authtool --create-keyring "$BASE/keyring" --gen-key -n mon. --cap mon 'allow *'
  run_step ceph-mon -c "$CONF" --mkfs -i a --monmap "$BASE/monmap" --keyring "$BASE/keyring"
  ceph-mon -c "$CONF" -i a >>"$step_log" 2>&1 || fail "ceph-mon exited $?" "$mon_log"
  wait_for "the monitor answering" "$mon_log" ceph_cli mon stat

  local osd_uuid osd_id
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph_cli osd new "$osd_uuid" 2>>"$step_log") || fail "ceph osd new failed" "$step_log"
  [ "$osd_id" = 0 ] || fail "ceph osd new gave id '$osd_id', not 0" "$step_log"
  run_step ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid"
  ceph-osd -c "$CONF" -i 0 >>"$step_log" 2>&1 || fail "ceph-osd exited $?" "$osd_log"
  wait_for "the OSD up" "$osd_log" osd_up

  radosgw -c "$CONF" -n client.rgw.a >>"$step_log" 2>&1 || fail "radosgw exited $?" "$rgw_log"
  local endpoint=http://127.0.0.1:$rgw_port
  wait_for "radosgw answering at $endpoint" "$rgw_log" rgw_answers "$endpoint"
  alive "$BASE/run/client.rgw.a.pid" || fail "radosgw is not running" "$rgw_log"

  local access_key secret_key
  access_key=$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
  secret_key=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
  run_step timeout 60 radosgw-admin -c "$CONF" -n client.rgw.a user create --uid "$USER_ID" \
    --display-name "Sluice tests" --access-key "$access_key" --secret-key "$secret_key"

  cat >"$BASE/env" <<EOF
SLUICE_RGW_ENDPOINT=$endpoint
SLUICE_RGW_ACCESS_KEY_ID=$access_key
SLUICE_RGW_SECRET_ACCESS_KEY=$secret_key
SLUICE_RGW_REGION=us-east-1
SLUICE_RGW_LOG=$rgw_log
EOF
  say "radosgw $(radosgw --version | awk '{print $3}') answering at $endpoint after $((SECONDS - began)) s"
  cat "$BASE/env"
  trap - ERR
}

case "${1:-}" in
  start)
    start_cluster
    ;;
  stop)
    stop_cluster
    ;;
  run)
    shift
    [ $# -gt 0 ] || { say "usage: $0 run CMD..."; exit 2; }
    trap stop_cluster EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start_cluster >/dev/null
    set -a
    # shellcheck source=/dev/null
    . "$BASE/env"
    set +a
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
  *)
    say "usage: $0 start|stop|run CMD..."
    exit 2
    ;;
esac
