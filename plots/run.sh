#!/bin/sh
# `make run`: cost every named network, measure this machine's peak, benchmark the
# comparison set with each implementation, then draw the charts and write the report.
#   QUICK=1        a one-minute version (short measurements)
#   THREADS=N      threads per benchmark (default 1)
#   IMPLS="a b"    implementations (default "onednn openblas")
#   NETS="a b"     networks (default: the comparison set below)
#   MIN_TIME=S     seconds of timed passes per network (default 10)
#   SPATIAL="a b"  the shift vs depthwise vs dense comparison on --impl best (default below)
#   SP_TIME=S      its seconds of timed passes per network (default 2)
#   TORCH_NETS="a b" the networks timed in PyTorch (default: NETS; QUICK: resnet50 and
#                  multi-shift-4c-50)
#   TORCH_MODES=M  PyTorch peer (tools/torch_peer.py --mode M) when TORCH_PYTHON (default
#                  /usr/bin/python3) imports torch: default eager,frozen (QUICK: frozen alone,
#                  the faster); none: not run
# A network that fails is named at the end; the others are still charted.
cd "$(dirname "$0")/.." || exit 2
SB=./shiftbench
NETS=${NETS:-"resnet50 resnet101 no-shift-50 single-shift-4c-50 single-shift-8c-50 multi-shift-4c-50 multi-shift-8c-50 flat-shift-4c-35 flat-shift-8c-35"}
IMPLS=${IMPLS:-"onednn openblas"}
THREADS=${THREADS:-1}
quick=
if [ "${QUICK:-0}" != 0 ] && [ -n "${QUICK:-}" ]; then
    quick=1
    NET_OPTS="--min-time 0.05 --min-reps 3 --warmup 1"
    PEAK_OPTS="--min-time 0.05 --min-reps 3"
    TORCH_MODES=${TORCH_MODES:-frozen}
    TORCH_OPTS="$NET_OPTS --no-layers"
    TORCH_NETS=${TORCH_NETS:-"resnet50 multi-shift-4c-50"}   # tracing + freezing is seconds a network
else
    NET_OPTS="--min-time ${MIN_TIME:-10} --min-reps 10"
    PEAK_OPTS=""
    TORCH_MODES=${TORCH_MODES:-eager,frozen}
    TORCH_OPTS="--min-time 2 --min-reps 10"
fi
TORCH_PYTHON=${TORCH_PYTHON:-/usr/bin/python3}
logs=plots/out/logs
mkdir -p "$logs" results || exit 1

echo "== 1/4 cost of every named network (shiftbench cost --all)"
$SB cost --all || exit 1

echo "== 2/4 peak FLOP/s and copy bandwidth (shiftbench peak)"
# measured once, on the benchmark's thread count; every net run's "% of peak" refers to it
peak="results/peak-t$THREADS-$(date -u +%Y%m%dT%H%M%SZ).json"
if ! $SB peak --threads "$THREADS" $PEAK_OPTS -o "$peak" >"$logs/peak.log" 2>&1; then
    echo "shiftbench peak failed (the roofline has no roofs); see $logs/peak.log" >&2
    PEAK_ARG=""
else
    grep -E 'FMA|GFLOP' "$logs/peak.log" | head -n 2
    PEAK_ARG="--peak $peak"
fi

total=0
for n in $NETS; do for i in $IMPLS; do total=$((total + 1)); done; done
echo "== 3/4 benchmark: $total runs ($THREADS thread(s), $NET_OPTS)"
k=0; failed=""; start=$(date +%s)
for n in $NETS; do
    for i in $IMPLS; do
        k=$((k + 1))
        log="$logs/net-$n-$i.log"
        printf '[%d/%d] %-20s %-9s ' "$k" "$total" "$n" "$i"
        if $SB net "$n" --impl "$i" --threads "$THREADS" $NET_OPTS $PEAK_ARG >"$log" 2>&1; then
            # the closing line: sum of layer medians and the whole pass
            line=$(grep -E 'whole pass median' "$log" | tail -n 1 | sed 's/ (p10.*//')
            echo "${line:-done}"
        else
            echo "FAILED (see $log)"
            tail -n 3 "$log" | sed 's/^/    /'
            failed="$failed $n/$i"
        fi
    done
    now=$(date +%s)
    echo "    ... $((now - start)) s so far"
done

# Shift vs depthwise 3x3 vs dense 3x3 (the report's comparison, plots/spatial.c): every layer
# on its fastest implementation (best), each shift network once more with its shifts apart.
# (QUICK: the MobileNetV2 family only)
if [ -n "$quick" ]; then
    SPATIAL=${SPATIAL:-"mobilenet_v2 mobilenet_v2-shift-4c"}
    SP_OPTS="$NET_OPTS --best-time 0.002 --fuse layer"
else
    SPATIAL=${SPATIAL:-"resnet50 single-shift-4c-50 single-dw-50 multi-shift-4c-50 multi-dw-50 mobilenet_v2 mobilenet_v2-shift-4c"}
    SP_OPTS="--min-time ${SP_TIME:-2} --min-reps 10 --fuse layer"
fi
echo "== 3/4 shift vs depthwise vs dense: --impl best ($SP_OPTS)"
for n in $SPATIAL; do
    for u in "" --unfused-shift; do
        case "$u$n" in --unfused-shift*shift*) ;; --unfused-shift*) continue ;; esac
        log="$logs/net-$n-best$u.log"
        printf '  %-22s %-20s ' "$n" "best $u"
        if $SB net "$n" --impl best $u --threads "$THREADS" $SP_OPTS $PEAK_ARG >"$log" 2>&1; then
            grep -E 'whole pass median' "$log" | tail -n 1 | sed 's/ (p10.*//'
        else
            echo "FAILED (see $log)"; failed="$failed $n/best$u"
        fi
    done
done
echo "    ... $(( $(date +%s) - start )) s so far"

if [ "$TORCH_MODES" != none ] && "$TORCH_PYTHON" -c 'import torch' 2>/dev/null; then
    echo "== 3/4 PyTorch peer (tools/torch_peer.py --mode $TORCH_MODES, $TORCH_OPTS)"
    if "$TORCH_PYTHON" tools/torch_peer.py ${TORCH_NETS:-$NETS} --mode "$TORCH_MODES" --threads "$THREADS" $TORCH_OPTS \
            >"$logs/torch.log" 2>&1; then
        grep 'whole pass median' "$logs/torch.log" | sed 's/ (p10[^)]*)//'
    else
        echo "FAILED (see $logs/torch.log)"
        tail -n 3 "$logs/torch.log" | sed 's/^/    /'
        failed="$failed pytorch"
    fi
    echo "    ... $(( $(date +%s) - start )) s so far"
else
    echo "== 3/4 PyTorch peer: skipped (TORCH_MODES=none, or $TORCH_PYTHON has no torch: make deps-torch)"
fi

echo "== 4/4 charts and report (shiftbench plot)"
$SB plot || rc=$?
if [ -n "$failed" ]; then
    echo "failed runs (not charted):$failed" >&2
    exit 1
fi
exit ${rc:-0}
