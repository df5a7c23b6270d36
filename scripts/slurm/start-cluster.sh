#!/usr/bin/env bash
# Starts a single-host Slurm cluster (munged, slurmctld, slurmd) bound to 127.0.0.1, for tests.
#
#   scripts/slurm/start-cluster.sh [DIR]     (DIR: state directory, default: a new temp dir)
#
# Installs slurm-wlm and munge with apt when missing (needs root). Everything lives under DIR:
# munge key, socket and pid; slurm.conf; spool and state dirs; logs; pid files. On success the
# last line on stdout is `export SLURM_CONF=DIR/slurm.conf`, which is all a client (sbatch,
# squeue, scancel) needs. Stop with scripts/slurm/stop-cluster.sh DIR (by pid, nothing else).
set -euo pipefail

die() { echo "start-cluster: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (slurmd runs jobs as their submitting user)"

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "start-cluster: installing slurm-wlm and munge" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1; } \
    || die "apt-get install slurm-wlm munge failed"
fi
id munge >/dev/null 2>&1 || die "no munge user after installing munge"

DIR="${1:-$(mktemp -d /tmp/dlth-slurm.XXXXXX)}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
chmod 755 "$DIR"   # munged (as the munge user) must traverse it
mkdir -p "$DIR/munge" "$DIR/spool/ctld" "$DIR/spool/d" "$DIR/log"
chown munge:munge "$DIR/munge"
chmod 700 "$DIR/munge"

# --- munge: its own key and socket, run as the munge user (it refuses root + munge-owned key).
if [ ! -s "$DIR/munge/munge.key" ]; then
  dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
fi
chown munge:munge "$DIR/munge/munge.key"
chmod 400 "$DIR/munge/munge.key"
SOCKET="$DIR/munge/munge.socket"
runuser -u munge -- /usr/sbin/munged \
  --key-file="$DIR/munge/munge.key" --socket="$SOCKET" --pid-file="$DIR/munge/munged.pid" \
  --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed" --force \
  || die "munged failed to start; see $DIR/munge/munged.log"

# --- free loopback ports for slurmctld and slurmd (so parallel clusters do not collide)
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
CTLD_PORT="$(free_port)"
D_PORT="$(free_port)"
while [ "$D_PORT" = "$CTLD_PORT" ]; do D_PORT="$(free_port)"; done

cat > "$DIR/slurm.conf" <<CONF
ClusterName=dlthtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$D_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation=$DIR/spool/ctld
SlurmdSpoolDir=$DIR/spool/d
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MinJobAge=300
ReturnToService=2
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

export SLURM_CONF="$DIR/slurm.conf"
/usr/sbin/slurmctld -i || die "slurmctld failed to start; see $DIR/log/slurmctld.log"
/usr/sbin/slurmd -N localhost || die "slurmd failed to start; see $DIR/log/slurmd.log"

# --- wait (≤ 30 s) until the node is schedulable
for _ in $(seq 1 150); do
  state="$(sinfo -h -n localhost -o %t 2>/dev/null || true)"
  case "$state" in idle*|mix*|alloc*) echo "start-cluster: up in $DIR (node $state)" >&2; echo "export SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
  sleep 0.2
done
echo "start-cluster: node never became idle (state: ${state:-none}); logs:" >&2
tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
exit 1
