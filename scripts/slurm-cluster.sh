#!/usr/bin/env bash
# A real two-node Slurm cluster on this one machine, for the Slurm executor's
# tests and for trying `clipcl run --executor slurm` without a cluster.
#
#   scripts/slurm-cluster.sh up       start munged, slurmctld and slurmd n1, n2
#   scripts/slurm-cluster.sh down     stop what `up` started
#   scripts/slurm-cluster.sh status   sinfo of the running cluster
#   scripts/slurm-cluster.sh env      the line to eval so sbatch/squeue find it
#
# Needs Debian's `slurm-wlm` and `munge` (apt-get install slurm-wlm munge) and
# root (slurmd runs jobs as their submitting user). All traffic stays on the
# loopback address. The configuration, state, spool, pid and log files live
# in $CLIPCL_SLURM_DIR (default /tmp/clipcl-slurm); commands find the
# configuration through SLURM_CONF (see `env`), so /etc/slurm is left alone.
set -euo pipefail

DIR="${CLIPCL_SLURM_DIR:-${TMPDIR:-/tmp}/clipcl-slurm}"
CONF="$DIR/slurm.conf"
HOST="$(hostname -s)"
CTL_PORT="${CLIPCL_SLURM_CTL_PORT:-16817}"
export SLURM_CONF="$CONF"

need() { command -v "$1" >/dev/null 2>&1 || { echo "slurm-cluster: '$1' not found (apt-get install slurm-wlm munge)" >&2; exit 2; }; }

write_conf() {
  local cpus mem_mb
  cpus="$(nproc)"
  # Both nodes share this machine's memory: each declares a third of it.
  mem_mb="$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 / 3 }' /proc/meminfo)"
  mkdir -p "$DIR"/{state,spool,run,log}
  cat >"$CONF" <<EOF
# Written by scripts/slurm-cluster.sh: two nodes on one machine, loopback only.
ClusterName=clipcl
SlurmctldHost=${HOST}(127.0.0.1)
SlurmctldPort=${CTL_PORT}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=${DIR}/state
SlurmdSpoolDir=${DIR}/spool/%n
SlurmctldPidFile=${DIR}/run/slurmctld.pid
SlurmdPidFile=${DIR}/run/slurmd-%n.pid
SlurmctldLogFile=${DIR}/log/slurmctld.log
SlurmdLogFile=${DIR}/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=n1 NodeHostname=${HOST} NodeAddr=127.0.0.1 Port=17001 CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
NodeName=n2 NodeHostname=${HOST} NodeAddr=127.0.0.1 Port=17002 CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=debug Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
EOF
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

up() {
  need munged; need slurmctld; need slurmd; need sinfo
  [ "$(id -u)" = 0 ] || { echo "slurm-cluster: run as root (slurmd starts jobs as their user)" >&2; exit 2; }
  write_conf
  if [ ! -f /etc/munge/munge.key ]; then mungekey --create >/dev/null 2>&1 || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    # munged drops to the munge user itself; --force tolerates a stale socket.
    su -s /bin/sh munge -c "munged --force" 2>/dev/null || munged --force
  fi
  alive "$DIR/run/slurmctld.pid" || slurmctld -f "$CONF"
  for n in n1 n2; do alive "$DIR/run/slurmd-$n.pid" || slurmd -f "$CONF" -N "$n"; done
  # Wait until both nodes are idle (they register within a few seconds).
  for _ in $(seq 1 60); do
    if [ "$(sinfo -h -N -o '%N %t' 2>/dev/null | awk '$2 == "idle" || $2 == "mix" || $2 == "alloc"' | wc -l)" -ge 2 ]; then
      echo "slurm-cluster: up (SLURM_CONF=$CONF)"
      return 0
    fi
    # A node left down by an earlier run comes back once told to.
    scontrol update nodename=n1,n2 state=resume >/dev/null 2>&1 || true
    sleep 0.5
  done
  echo "slurm-cluster: nodes did not come up; see $DIR/log" >&2
  sinfo -N >&2 || true
  exit 1
}

down() {
  scancel --full --quiet -u "$(id -un)" 2>/dev/null || true
  for f in "$DIR"/run/slurmd-n1.pid "$DIR"/run/slurmd-n2.pid "$DIR"/run/slurmctld.pid; do
    if alive "$f"; then kill "$(cat "$f")" 2>/dev/null || true; fi
  done
  for f in "$DIR"/run/slurmd-n1.pid "$DIR"/run/slurmd-n2.pid "$DIR"/run/slurmctld.pid; do
    for _ in $(seq 1 50); do alive "$f" || break; sleep 0.1; done
  done
  echo "slurm-cluster: down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) sinfo -N ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: scripts/slurm-cluster.sh up|down|status|env" >&2; exit 2 ;;
esac
