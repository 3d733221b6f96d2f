#!/bin/sh
# A sweep plan as a Slurm job array (tools/sweep.sbatch, README "Sweeps") on a one-node
# Slurm that this test starts on localhost with its own configuration (temporary state,
# spool and ports; auth/none, root only) and stops again. Skipped, with a message, where
# Slurm (Debian slurm-wlm) is not installed or we are not root. Never on time.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
unset OPENBLAS_CORETYPE
for c in slurmctld slurmd sbatch sinfo; do
    if ! command -v $c >/dev/null 2>&1; then
        echo "cli_sweep_slurm.sh: skipped: Slurm is not installed (apt-get install slurm-wlm)"; finish; exit; fi
done
if [ "$(id -u)" != 0 ]; then echo "cli_sweep_slurm.sh: skipped: starting slurmd needs root"; finish; exit; fi
tmp=$(mktemp -d)
stop() {
    for p in "$tmp/d.pid" "$tmp/ctld.pid"; do [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
    sleep 1; rm -rf "$tmp"
}
trap stop EXIT
host=$(hostname)
port=$((20000 + ($$ % 10000) * 2))   # two ports of our own: runs side by side do not meet
export SLURM_CONF="$tmp/slurm.conf"
mkdir -p "$tmp/state" "$tmp/spool"
cat >"$SLURM_CONF" <<EOF
ClusterName=sbtest$$
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/none
CredType=cred/none
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/ctld.pid
SlurmdPidFile=$tmp/d.pid
SlurmctldLogFile=$tmp/ctld.log
SlurmdLogFile=$tmp/d.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=sweep Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF" -i >"$tmp/ctld.out" 2>&1 && slurmd -f "$SLURM_CONF" >"$tmp/d.out" 2>&1; rc=$?
i=0
while [ $rc = 0 ] && [ $i -lt 300 ] && ! sinfo -h -o %t 2>/dev/null | grep -q idle; do sleep 0.1; i=$((i + 1)); done
if ! sinfo -h -o %t 2>/dev/null | grep -q idle; then
    bad "Slurm did not start on $host: $(cat "$tmp/ctld.out" "$tmp/d.out"; tail -n 5 "$tmp/ctld.log" "$tmp/d.log" 2>/dev/null)"
    finish; exit
fi
ok

d="$tmp/sweep"
$SB sweep resnet50 multi-shift-4c-50 --set widths=[8,8,8,8] --set stem_width=8 --set classes=10 --resolution 32 \
    --set width_multiplier=1,2 --impl own --threads 1 --min-time 0 --min-reps 2 --warmup 0 --out "$d" --plan \
    >"$tmp/plan.txt" 2>/dev/null
n=$(wc -l <"$tmp/plan.txt")
[ "$n" = 4 ] && ok || bad "plan: $n commands (wanted 4)"
(cd "$tmp" && timeout 300 sbatch --wait --array=1-"$n" -o "$tmp/job-%a.out" "$OLDPWD/tools/sweep.sbatch" "$tmp/plan.txt") \
    >"$tmp/sbatch.out" 2>&1; rc=$?
files=$(ls "$d"/*.json 2>/dev/null | wc -l)
[ "$rc" = 0 ] && [ "$files" = 4 ] && ok || bad "sbatch --array: exit $rc, $files point files: $(cat "$tmp/sbatch.out" "$tmp"/job-*.out | tail -n 8)"
$SB sweep resnet50 multi-shift-4c-50 --set widths=[8,8,8,8] --set stem_width=8 --set classes=10 --resolution 32 \
    --set width_multiplier=1,2 --impl own --threads 1 --out "$d" --plan 2>/dev/null | grep -q . \
    && bad "after the job array, the plan still lists points" || ok
# the array script refuses a run outside an array, and a line the plan does not have
SLURM_ARRAY_TASK_ID= sh tools/sweep.sbatch "$tmp/plan.txt" 2>/dev/null; [ $? = 2 ] && ok || bad "sweep.sbatch outside an array"
SLURM_ARRAY_TASK_ID=99 sh tools/sweep.sbatch "$tmp/plan.txt" 2>/dev/null; [ $? = 2 ] && ok || bad "sweep.sbatch past the plan"
finish
