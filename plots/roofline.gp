# 5. Roofline: per-layer achieved GFLOP/s vs arithmetic intensity, under the peak and
# copy-bandwidth roofs measured by `shiftbench peak`; one panel per implementation. A fused
# step is drawn at its fused traffic, with a grey line back to where its layers' compulsory
# traffic apart would put it (column 9; absent in older results).
load plotdir.'/common.gp'
n = nimpl > 0 ? nimpl : 1
W = 200 + 620 * n; H = 760
eval terminal
set output outdir.'/roofline.'.fmt
ttl = "Roofline: achieved GFLOP/s vs arithmetic intensity"
sub = subtitle
set multiplot
eval headline
set grid ls 100
set samples 400
set logscale xy
set format x "%g"; set format y "%g"
set xlabel "arithmetic intensity (FLOP per byte of the step's fp32 traffic, fused as it runs)"
set ylabel "achieved GFLOP/s"
w = 0.90 / n
if (nimpl == 0) {
    set label 10 "no measurements (run: make run)" at screen 0.5, screen 0.5 center tc rgb grey
    set xrange [0.1:100]; set yrange [0.1:100]
    plot NaN notitle
}
do for [i = 1:nimpl] {
    set lmargin at screen 0.07 + (i - 1) * w; set rmargin at screen 0.07 + i * w - 0.05
    set tmargin at screen 0.85; set bmargin at screen 0.11
    set xrange [rx[2 * i - 1] : rx[2 * i]]
    set yrange [ry[2 * i - 1] : ry[2 * i]]
    pk = value(sprintf('peak_%d', i)); bw = value(sprintf('bw_%d', i)); bwb = value(sprintf('bwbytes_%d', i))
    bwc = value(sprintf('bwc_%d', i)); bwcb = value(sprintf('bwcbytes_%d', i))
    set title impl[i].(pk == pk ? "" : " (no peak measured: run shiftbench peak)")
    set key bottom right font ',9' samplen 1.5
    f = sprintf('%s/layers_%d.dat', datadir, i)
    plot (pk == pk && bw == bw ? (x * bw < pk ? x * bw : pk) : NaN) w l lw 2 lc rgb 'black' \
             title (pk == pk && bw == bw ? sprintf("roof: %.0f GFLOP/s peak, %.0f GB/s copy (%.0f MiB)", pk, bw, bwb / 1048576) : ""), \
         (pk == pk && bwc == bwc && bwc > bw ? (x * bwc < pk ? x * bwc : pk) : NaN) w l lw 1 dt 2 lc rgb 'black' \
             title (pk == pk && bwc == bwc && bwc > bw ? sprintf("cache roof: %.0f GB/s copy (%.0f KiB)", bwc, bwcb / 1024) : ""), \
         f u ($8 > 0 && $9 > 0 && $9 < $7 ? $9 : NaN):6:($7 - $9):(0) w vectors nohead lw 1 lc rgb '#bbbbbb' \
             title "fused step: line back to its layers' traffic apart", \
         for [k = 1:ncat] f u ($3 == k && $8 > 0 && $7 > 0 ? $7 : NaN):6 w p pt 7 ps 0.7 lc rgb catcolor[k] \
             title (rused[(i - 1) * ncat + k] ? catlabel[k] : "")
    if (i == 1) { eval noheadline }
}
unset multiplot
