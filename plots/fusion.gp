# 6. Fused blocks vs layer by layer: per block, the time (left) and the bytes that reach
# memory by the cost model (right) of `net --fuse block` against the same implementation's
# layer-by-layer run; one row per network that has both runs.
load plotdir.'/common.gp'
n = nfusion > 0 ? nfusion : 1
W = 1400; H = 130 + 330 * n
eval terminal
set output outdir.'/fusion.'.fmt
ttl = "Blocks run depth-first (net --fuse block) vs layer by layer: time and bytes moved per block"
sub = subtitle
set multiplot
eval headline
set style fill solid 0.9 border rgb '#404040'
set style data histograms
set style histogram clustered gap 1
set boxwidth 0.9
set grid ytics ls 100
if (nfusion == 0) {
    unset border; unset tics
    set label 10 "no --fuse block run beside a layer-by-layer one (run: shiftbench net NET --impl own --fuse block)" at screen 0.5, screen 0.5 center tc rgb grey
    set xrange [0:1]; set yrange [0:1]
    plot NaN notitle
}
do for [j = 1:nfusion] {
    top = 1 - (110.0 + (j - 1) * 330 + 25) / H
    bot = 1 - (110.0 + j * 330 - 80) / H
    d = sprintf('%s/fusion_%d.dat', datadir, j)
    set tmargin at screen top; set bmargin at screen bot
    set xtics rotate by 40 right font ',9'
    set key top right font ",9"
    set lmargin at screen 0.06; set rmargin at screen 0.48
    set yrange [0 : ftmax[j]]
    set ylabel "ms (step medians)"
    set title fnet[j]." (".fimpl[j].") - time per block"
    plot d u 3:xtic(2) title "fused" lc rgb color4, '' u 4 title "layer by layer" lc rgb color8
    if (j == 1) { eval noheadline }
    set lmargin at screen 0.56; set rmargin at screen 0.98
    set yrange [0 : fbmax[j]]
    set ylabel "MB moved (cost model)"
    set title fnet[j]." - bytes that reach memory per block"
    plot d u 5:xtic(2) title "fused: input, output, weights" lc rgb color4, '' u 6 title "layer by layer: every step's" lc rgb color8
}
unset multiplot
