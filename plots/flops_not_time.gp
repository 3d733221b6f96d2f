# 4. FLOPs are not time: per-layer latency vs MACs by op kind (zero-MAC steps on their own
# strip), and per network the latency ratio vs the MAC ratio to its ResNet baseline.
load plotdir.'/common.gp'
W = 1500; H = 130 + 420 * (nimpl > 0 ? nimpl : 1)
eval terminal
set output outdir.'/flops_not_time.'.fmt
ttl = "FLOPs are not time"
sub = subtitle
set multiplot
eval headline
set grid ls 100
do for [i = 1:nimpl] {
    # rows of 420 px under 110 px of titles
    top = 1 - (110.0 + (i - 1) * 420 + 30) / H
    bot = 1 - (110.0 + i * 420 - 75) / H
    f = sprintf('%s/layers_%d.dat', datadir, i)
    z = sprintf('%s/zero_%d.dat', datadir, i)
    pk = value(sprintf('peak_%d', i))
    set logscale y
    set yrange [ly[2 * i - 1] : ly[2 * i]]
    set format y "%g"
    # zero-MAC steps
    set lmargin at screen 0.06; set rmargin at screen 0.15
    set tmargin at screen top; set bmargin at screen bot
    unset logscale x
    set xrange [0.4 : 4.6]
    set xtics ("shift" 1, "pooling" 2, "add" 3, "other" 4) rotate by 30 right font ',9'
    set ylabel impl[i]." - ms per step"
    set title "0 MACs"
    plot for [k = 1:ncat] z u ($3 == k ? $1 : NaN):2 w p pt 7 ps 0.6 lc rgb catcolor[k] notitle
    if (i == 1) { eval noheadline }
    # steps with MACs
    set lmargin at screen 0.16; set rmargin at screen 0.55
    set logscale x
    set xrange [lx[2 * i - 1] : lx[2 * i]]
    set xtics auto norotate font ''
    set format x "%g"
    set format y ""
    unset ylabel
    set xlabel "MMACs per step (10^6 multiply-adds)"
    set title impl[i]." - per-layer latency vs MACs"
    set key bottom right font ',9' samplen 1
    plot for [k = 1:ncat] f u ($3 == k && $4 > 0 ? $4 : NaN):5 w p pt 7 ps 0.6 lc rgb catcolor[k] \
             title (lused[(i - 1) * ncat + k] ? catlabel[k] : ""), \
         (pk == pk ? 2 * x / pk : NaN) w l dt 2 lc rgb 'black' \
             title (pk == pk ? sprintf("time at the measured peak (%.0f GFLOP/s)", pk) : "")
    unset xlabel
    set format y "%g"
    unset logscale
}
if (nimpl == 0) {
    set label 10 "no measurements (run: make run)" at screen 0.3, screen 0.5 center tc rgb grey
}
# latency ratio vs MAC ratio
set lmargin at screen 0.63; set rmargin at screen 0.97
set tmargin at screen 1 - 140.0 / H; set bmargin at screen 75.0 / H
set xrange [ratio_xlo : ratio_xhi]; set yrange [ratio_lo : ratio_hi]
set xtics auto; set ytics auto
set format x "%.1f"; set format y "%.1f"
set xlabel "MAC ratio to the ResNet baseline"
set ylabel "measured latency ratio to the baseline (same impl)"
set title "per network: latency ratio vs MAC ratio"
set key top left font ',10'
r = datadir.'/ratio.dat'
plot x w l dt 2 lc rgb grey title "latency ratio = MAC ratio", \
     for [i = 1:(nimpl > 0 ? nimpl : 1)] r u ($2 == i ? $5 : NaN):6 w p pt implpt[i] ps 1.4 lc rgb implcolor[i] \
         title (nimpl > 0 ? impl[i] : ""), \
     r u 5:6:($7 - $5):($8 - $6) w vectors nohead lc rgb '#b0b0b0' notitle, \
     r u 7:8:(stringcolumn(1).' ('.stringcolumn(3).')') w labels left offset 0.3, 0 font ',8' tc rgb '#303030' notitle
unset multiplot
