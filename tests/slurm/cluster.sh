#!/usr/bin/env bash
# A private single-node Slurm cluster (munged + slurmctld + slurmd on
# localhost) that lives entirely under one directory, for tests.
#
#   cluster.sh start  DIR   write DIR/slurm.conf, start the daemons, wait until
#                           the node is idle, write DIR/env.sh (source it)
#   cluster.sh stop   DIR   cancel every job, stop what `start` started
#   cluster.sh status DIR   daemons, sinfo and squeue
#
# Nothing outside DIR is read or written except the Slurm and MUNGE binaries
# and plugins. Only the daemons started here (their environment carries the
# marker TLPU_SLURM_DAEMON_OF=DIR) and their descendants (slurmstepd, job
# processes) are ever signalled.
#
# Exit status: 0 ok; 77 Slurm cannot run on this machine (binaries missing,
# not root, a daemon refuses to start, the node never comes up): a test should
# skip; 2 bad usage; 1 anything else (a bug to look at, not a reason to skip).
#
# Environment:
#   TLPU_SLURM_REQUIRED=1       never exit 77: where Slurm is installed on
#                               purpose (CI), failing to start is a failure
#   TLPU_SLURM_START_TIMEOUT    seconds to wait for the node to be idle (30)
#   TLPU_SLURM_STOP_TIMEOUT     seconds between SIGTERM and SIGKILL (15)
#   TLPU_SLURM_CRED_EXPIRE      AuthInfo cred_expire, >= 5 (5)
#   TLPU_SLURM_SCHED            SchedulerParameters
#                               (batch_sched_delay=0,sched_interval=1,bf_interval=1)
set -euo pipefail

PROG=cluster.sh
START_TIMEOUT=${TLPU_SLURM_START_TIMEOUT:-30}
STOP_TIMEOUT=${TLPU_SLURM_STOP_TIMEOUT:-15}
NODE=localhost         # NodeName; slurmd is started with -N localhost
PARTITION=tlpu
DAEMONS=(munged slurmctld slurmd)   # start order
declare -A BIN=()                   # absolute paths, resolved with the caller's PATH

die()  { echo "$PROG: $*" >&2; exit 1; }
usage() { echo "usage: $PROG start|stop|status DIR" >&2; exit 2; }
# Slurm cannot run here: the caller (a test) should skip.
skip() {
  if [ "${TLPU_SLURM_REQUIRED:-0}" = 1 ]; then
    echo "$PROG: Slurm cannot run here (and TLPU_SLURM_REQUIRED=1): $*" >&2
    exit 1
  fi
  echo "$PROG: SKIP: Slurm cannot run here: $*" >&2
  exit 77
}
now_ms() { date +%s%3N; }

[ $# -eq 2 ] || usage
cmd=$1
[ -n "$2" ] || usage
created=""
if [ ! -d "$2" ]; then
  case $cmd in
    start)  mkdir -p -- "$2" 2>/dev/null || die "cannot create directory: $2"; created=$2 ;;
    stop)   echo "$PROG: no cluster under $2 (no such directory), nothing to stop"; exit 0 ;;
    status) echo "$PROG: no cluster under $2 (no such directory)"; exit 1 ;;
    *)      usage ;;
  esac
fi
DIR=$(cd -- "$2" && pwd -P) || die "cannot enter directory: $2"
refuse() {  # bad DIR: remove it if we just created it, exit 2
  [ -z "$created" ] || rmdir -- "$created" 2>/dev/null || true
  echo "$PROG: $*" >&2
  exit 2
}
case $DIR in
  *[\"\'\\$'\n'$'\t']*) refuse "DIR must not contain quotes, backslashes, tabs or newlines: $DIR" ;;
esac

CONF=$DIR/slurm.conf
RUN=$DIR/run          # pid files and the munge socket (mode 0755, munged insists)
KEYDIR=$DIR/munge     # munge key and seed (mode 0700)
STATE=$DIR/state      # slurmctld StateSaveLocation
SPOOL=$DIR/spool      # slurmd SlurmdSpoolDir
LOG=$DIR/log
SOCK=$RUN/munge.socket
MARK="TLPU_SLURM_DAEMON_OF=$DIR"

# Unix socket paths are limited to 107 bytes (munge socket; slurmd and
# slurmstepd put sockets in the spool directory, named after the node and job).
if [ ${#SOCK} -gt 100 ] || [ $(( ${#SPOOL} + 32 )) -gt 107 ]; then
  refuse "DIR is too long for unix socket paths (keep it under ~70 bytes): $DIR"
fi

# --- processes ---------------------------------------------------------------

# Is PID alive and one of our daemons or slurmstepd (its initial environment,
# inherited from `launch`, carries the marker)?
ours() {
  local pid=$1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  grep -qszxF -- "$MARK" "/proc/$pid/environ" 2>/dev/null
}
# The pid of daemon $1 if it is running and ours: from our pid file (the pid
# `launch` saw) or else the daemon's own.
pidof_daemon() {
  local f pid
  for f in "$RUN/$1.pid" "$RUN/$1.real.pid"; do
    [ -f "$f" ] || continue
    pid=$(head -n1 -- "$f" 2>/dev/null || true)
    ours "$pid" && { echo "$pid"; return 0; }
  done
  return 1
}
# slurmstepd overwrites its environment (setproctitle), so it is recognised by
# an open file under DIR (slurmd's log, which it inherits).
stepds() {
  local p f c
  for p in /proc/[0-9]*; do
    { read -r c <"$p/comm"; } 2>/dev/null || continue
    [ "$c" = slurmstepd ] || continue
    for f in "$p"/fd/*; do
      case $(readlink "$f" 2>/dev/null) in
        "$DIR"/*) echo "${p#/proc/}"; break ;;
      esac
    done
  done
}
# Every live process that carries our marker, our slurmstepds, every job
# process of this cluster (SLURM_JOB_ID and SLURM_CONF=our slurm.conf in its
# environment, even if orphaned), and all their descendants; zombies excluded.
all_ours() {
  local pids
  # one grep per pattern over all of /proc (a process may vanish meanwhile)
  pids=$( { grep -lszxF -- "$MARK" /proc/[0-9]*/environ
            comm -12 <(grep -lsz '^SLURM_JOB_ID=' /proc/[0-9]*/environ | sort) \
                     <(grep -lszxF -- "SLURM_CONF=$CONF" /proc/[0-9]*/environ | sort)
            stepds
          } 2>/dev/null | sed 's|^/proc/\([0-9]*\)/environ$|\1|' | sort -u || true)
  [ -n "$pids" ] || return 0
  # add descendants: "pid ppid" of every process (comm may hold spaces and
  # parentheses, so cut each stat line after its last ") ")
  cat /proc/[0-9]*/stat 2>/dev/null |
    awk -v seeds="$pids" -v self="$$" -v sub_="$BASHPID" '
      { pid = $1; s = $0; sub(/.*\) /, "", s); split(s, f, " ")
        parent[pid] = f[2]; if (f[1] == "Z" || f[1] == "X") dead[pid] = 1 }
      END {
        n = split(seeds, a, "\n"); for (i = 1; i <= n; i++) mine[a[i]] = 1
        do { changed = 0
             for (p in parent) if (!(p in mine) && (parent[p] in mine)) { mine[p] = 1; changed = 1 }
        } while (changed)
        for (p in mine)
          if (p != self && p != sub_ && (p in parent) && !(p in dead)) print p
      }'
}
gone() {  # exited, or a zombie waiting for a (possibly lazy) init to reap it
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 0
  [ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}
wait_gone() {  # wait_gone SECONDS PID...: 0 when all have exited
  local deadline=$(( $(date +%s) + $1 )) p alive; shift
  while :; do
    alive=0
    for p in "$@"; do gone "$p" || { alive=1; break; }; done
    [ $alive -eq 0 ] && return 0
    [ "$(date +%s)" -ge $deadline ] && return 1
    sleep 0.1
  done
}

# Launch a daemon in the foreground mode under setsid, detached from us, with
# a clean environment carrying the marker; record its pid.
launch() {
  local name=$1; shift
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C "$MARK" SLURM_CONF="$CONF" \
    setsid "$@" </dev/null >>"$LOG/$name.out" 2>&1 9>&- &
  echo $! >"$RUN/$name.pid"
}

slurm_env() {  # run a Slurm client against this cluster only, whatever the caller's SLURM_*/S*_ settings
  (
    for v in $(compgen -e | grep -E '^(SLURM|SBATCH|SALLOC|SRUN|SQUEUE|SINFO|SACCT|SCONTROL|SCANCEL)_' || true); do
      unset "$v"
    done
    export SLURM_CONF="$CONF"
    exec "$@"
  )
}

log_tail() {
  local f
  for f in "$LOG"/*; do
    [ -s "$f" ] || continue
    echo "---- $f (last lines)" >&2
    tail -n 8 -- "$f" >&2
  done
}

# --- stop --------------------------------------------------------------------

stop_daemons() {  # stop_daemons NAME...: SIGTERM, wait, SIGKILL
  local d p pids=()
  for d in "$@"; do
    p=$(pidof_daemon "$d") && pids+=("$p")
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    if ! wait_gone "$STOP_TIMEOUT" "${pids[@]}"; then
      echo "$PROG: $* ignored SIGTERM for ${STOP_TIMEOUT}s, killing" >&2
      kill -KILL "${pids[@]}" 2>/dev/null || true
      wait_gone 5 "${pids[@]}" || true
    fi
  fi
  for d in "$@"; do rm -f -- "$RUN/$d.pid" "$RUN/$d.real.pid"; done
}

do_stop() {
  local t0 pids=() p d left
  t0=$(now_ms)
  # 1. Cancel every job while slurmctld can still do it cleanly.
  if pidof_daemon slurmctld >/dev/null && command -v scancel >/dev/null; then
    slurm_env timeout 10 scancel --quiet --full --partition="$PARTITION" 2>/dev/null || true
    local deadline=$(( $(date +%s) + 10 ))
    while [ "$(date +%s)" -lt $deadline ]; do
      [ -z "$(slurm_env timeout 5 squeue -h -t running,completing -o %i 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  # 2. The three daemons together (each takes 1.5-2 s to shut down; nothing
  #    needs munged once the jobs are gone). SIGTERM, then SIGKILL.
  stop_daemons slurmd slurmctld munged
  # 3. Stragglers: slurmstepd and job processes that outlived the daemons.
  mapfile -t pids < <(all_ours)
  if [ ${#pids[@]} -gt 0 ]; then
    echo "$PROG: killing leftover processes of this cluster: ${pids[*]}" >&2
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait_gone 5 "${pids[@]}" || true
  fi
  mapfile -t left < <(all_ours)
  rm -f -- "$SOCK" "$SOCK.lock"
  [ ${#left[@]} -eq 0 ] || die "processes of this cluster survived SIGKILL: ${left[*]}"
  echo "$PROG: stopped ($(( $(now_ms) - t0 )) ms)"
}

# --- start -------------------------------------------------------------------

listening_ports() {  # TCP ports in LISTEN state, from /proc/net/tcp{,6}
  local f local_addr st
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    while read -r _ local_addr _ st _; do
      [ "$st" = 0A ] && echo $(( 16#${local_addr##*:} ))
    done < <(tail -n +2 "$f")
  done
  return 0
}
free_port() {  # a random TCP port nobody listens on, below Linux's ephemeral range
  local used p
  used=$(listening_ports | sort -u)
  while :; do
    p=$(( 20000 + RANDOM % 12000 ))
    grep -qx -- "$p" <<<"$used" || { echo "$p"; return; }
  done
}

write_conf() {
  local cpus boards sockets cores threads mem hw ctld_port slurmd_port
  hw=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${BIN[slurmd]}" -C 2>/dev/null | head -n1) ||
    skip "'slurmd -C' cannot read this machine's hardware"
  field() { sed -n "s/.*[[:space:]]$1=\([0-9]*\).*/\1/p" <<<"$hw"; }
  cpus=$(field CPUs); boards=$(field Boards); sockets=$(field SocketsPerBoard)
  cores=$(field CoresPerSocket); threads=$(field ThreadsPerCore); mem=$(field RealMemory)
  { [ -n "$cpus" ] && [ -n "$mem" ]; } || skip "'slurmd -C' printed no CPUs/RealMemory: $hw"
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  [ "$slurmd_port" != "$ctld_port" ] || slurmd_port=$(( ctld_port + 1 ))
  : >"$DIR/plugstack.conf"
  # Values are quoted so that DIR may contain spaces.
  cat >"$CONF.tmp" <<EOF
# Written by tests/slurm/cluster.sh: a private single-node cluster under
# $DIR
ClusterName=tlpu
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: a requeued job is held this long (+1 s) before it may run again.
# 5 is the smallest value Slurm 22.05 accepts (smaller ones are rejected with
# "AuthInfo=cred_expire=N invalid" and the default of 120 s applies).
AuthInfo="socket=$SOCK,cred_expire=${TLPU_SLURM_CRED_EXPIRE:-5}"
StateSaveLocation="$STATE"
SlurmdSpoolDir="$SPOOL"
SlurmctldPidFile="$RUN/slurmctld.real.pid"
SlurmdPidFile="$RUN/slurmd.real.pid"
SlurmctldLogFile="$LOG/slurmctld.log"
SlurmdLogFile="$LOG/slurmd.log"
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig="$DIR/plugstack.conf"
MailProg=/bin/true
# No cgroups in a container. proctrack/pgid kills a task's whole process group,
# including children orphaned when the batch shell is killed (linuxproc walks
# the process tree from slurmstepd and loses those).
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# One CPU per task, several tasks per node.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=${TLPU_SLURM_SCHED:-batch_sched_delay=0,sched_interval=1,bf_interval=1}
ReturnToService=2
# Fast kills and short timeouts suit a test.
KillWait=2
MessageTimeout=10
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus Boards=${boards:-1} SocketsPerBoard=${sockets:-1} CoresPerSocket=${cores:-$cpus} ThreadsPerCore=${threads:-1} RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  mv -f -- "$CONF.tmp" "$CONF"
}

write_env() {
  local q
  printf -v q '%q' "$CONF"
  {
    echo "# source this file to talk to the cluster under $DIR"
    echo "# (client settings inherited from elsewhere, e.g. a CI job that itself"
    echo "# runs under Slurm, must not leak into this cluster's commands)"
    cat <<'EOF2'
for _v in $(env | sed -nE 's/^((SLURM|SBATCH|SALLOC|SRUN|SQUEUE|SINFO|SACCT|SCONTROL)_[A-Za-z0-9_]*)=.*/\1/p'); do unset "$_v"; done; unset _v
EOF2
    echo "export SLURM_CONF=$q"
  } >"$DIR/env.sh"
}

# Fails (returns 1) if daemon $1 (pid $2) is gone.
alive_or_report() {
  kill -0 "$2" 2>/dev/null && return 0
  echo "$PROG: $1 exited during start-up" >&2
  return 1
}

start_once() {
  local p_munge p_ctld p_slurmd deadline state=""
  write_conf
  write_env

  # MUNGE: a private daemon, socket and key. munged insists that every
  # directory above its socket be world-executable; --force turns that (and
  # similar checks on DIR's ancestors) into warnings.
  if [ ! -s "$KEYDIR/munge.key" ]; then
    (umask 077; head -c 1024 /dev/urandom >"$KEYDIR/munge.key")
  fi
  chmod 0400 "$KEYDIR/munge.key"
  launch munged "${BIN[munged]}" --foreground --force --socket="$SOCK" --key-file="$KEYDIR/munge.key" \
    --pid-file="$RUN/munged.real.pid" --log-file="$LOG/munged.log" \
    --seed-file="$KEYDIR/munged.seed" --num-threads=2
  p_munge=$(cat "$RUN/munged.pid")
  deadline=$(( $(date +%s) + 10 ))
  until [ -S "$SOCK" ] && munge -n -S "$SOCK" </dev/null 2>/dev/null | unmunge -S "$SOCK" >/dev/null 2>&1; do
    alive_or_report munged "$p_munge" || return 1
    [ "$(date +%s)" -lt $deadline ] || { echo "$PROG: munged did not answer in 10 s" >&2; return 1; }
    sleep 0.1
  done

  # slurmctld and slurmd in the foreground (-D), detached, logs under DIR.
  launch slurmctld "${BIN[slurmctld]}" -D -i -f "$CONF"
  p_ctld=$(cat "$RUN/slurmctld.pid")
  deadline=$(( $(date +%s) + START_TIMEOUT ))
  until slurm_env timeout 5 scontrol ping 2>/dev/null | grep -q 'UP'; do
    alive_or_report slurmctld "$p_ctld" || return 1
    [ "$(date +%s)" -lt $deadline ] || { echo "$PROG: slurmctld did not answer in ${START_TIMEOUT}s" >&2; return 1; }
    sleep 0.2
  done
  launch slurmd "${BIN[slurmd]}" -D -f "$CONF" -N "$NODE"
  p_slurmd=$(cat "$RUN/slurmd.pid")
  until state=$(slurm_env timeout 5 sinfo -h -n "$NODE" -o %T 2>/dev/null) && [ "$state" = idle ]; do
    alive_or_report slurmd "$p_slurmd" || return 1
    alive_or_report slurmctld "$p_ctld" || return 1
    [ "$(date +%s)" -lt $deadline ] ||
      { echo "$PROG: node $NODE not idle after ${START_TIMEOUT}s (state: ${state:-none})" >&2; return 1; }
    sleep 0.2
  done
}

do_start() {
  local t0 b running=0 d
  t0=$(now_ms)

  for b in munged munge unmunge slurmctld slurmd sinfo squeue sbatch scontrol scancel; do
    BIN[$b]=$(command -v "$b" 2>/dev/null) ||
      skip "'$b' is not installed (Debian 12: apt-get install slurmctld slurmd slurm-client munge)"
  done
  [ "$(id -u)" -eq 0 ] || skip "the daemons must run as root (SlurmUser=root, slurmd), and this is uid $(id -u)"

  exec 9>"$DIR/.lock"
  flock -w 60 9 || die "another start/stop holds $DIR/.lock"

  for d in "${DAEMONS[@]}"; do pidof_daemon "$d" >/dev/null && running=$((running + 1)); done
  if [ $running -eq ${#DAEMONS[@]} ]; then
    case $(slurm_env timeout 5 sinfo -h -n "$NODE" -o %T 2>/dev/null || true) in
      idle|mixed|allocated|completing)
        echo "$PROG: already running under $DIR; source $DIR/env.sh"
        return 0 ;;
    esac
  fi
  # Anything left from an earlier run (a killed test, a half start): stop it,
  # and start from empty state so that job ids and queues are fresh.
  if [ $running -gt 0 ] || [ -n "$(all_ours)" ]; then
    echo "$PROG: cleaning up an earlier run under $DIR" >&2
    do_stop >/dev/null
  fi
  rm -rf -- "$STATE" "$SPOOL" "$RUN" "$LOG"
  mkdir -p -- "$STATE" "$SPOOL" "$LOG" "$KEYDIR" "$RUN"
  chmod 0700 "$KEYDIR"
  chmod 0755 "$RUN"

  local attempt=1
  until start_once; do
    # Two clusters may race for the same random port: try other ports.
    if [ $attempt -lt 3 ] && grep -qs 'Address already in use' "$LOG"/*; then
      echo "$PROG: port clash, retrying with other ports" >&2
      do_stop >/dev/null 2>&1 || true
      rm -rf -- "$STATE" "$SPOOL" "$LOG"
      mkdir -p -- "$STATE" "$SPOOL" "$LOG"
      attempt=$((attempt + 1))
      continue
    fi
    log_tail
    do_stop >/dev/null 2>&1 || true
    skip "the daemons did not come up (logs under $LOG)"
  done
  echo "$PROG: cluster up under $DIR in $(( $(now_ms) - t0 )) ms"
  echo "$PROG: source $DIR/env.sh   # exports SLURM_CONF=$CONF"
}

do_status() {
  local d p rc=0
  for d in "${DAEMONS[@]}"; do
    if p=$(pidof_daemon "$d"); then echo "$d: running (pid $p)"; else echo "$d: not running"; rc=1; fi
  done
  if [ $rc -eq 0 ]; then
    slurm_env sinfo -o '%P %a %D %T %C %m' || rc=1
    slurm_env squeue -o '%.12i %.9P %.12j %.8T %.10M %R' || rc=1
  fi
  return $rc
}

case $cmd in
  start)  do_start ;;
  stop)
    exec 9>"$DIR/.lock"
    flock -w 60 9 || die "another start/stop holds $DIR/.lock"
    do_stop ;;
  status) do_status ;;
  *) usage ;;
esac
