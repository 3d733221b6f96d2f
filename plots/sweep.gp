# The sweep charts (shiftbench plot --sweep): one panel per machine, one colour per series
# (network, impl, threads, batch), the Pareto front in black. `what` is set by the chart's
# own script: 'macs' or 'params' (latency vs cost: the front has the most cost for the
# latency) or 'acc' (top-1 vs latency, only the points with a user-supplied accuracy).
# settings.gp (beside the data) holds nm, mlabel[], sfirst[], scount[], slabel[].
load plotdir.'/common.gp'
W = 1300; H = 110 + 440 * nm
eval terminal
set output outdir.'/sweep_'.(what eq 'acc' ? 'accuracy' : what).'.'.fmt
ttl = what eq 'acc' ? "Sweep: top-1 accuracy vs latency" : (what eq 'macs' ? "Sweep: latency vs MACs" : "Sweep: latency vs parameters")
sub = subtitle
set multiplot
eval headline
set grid ls 100
set key outside right top font ',9' samplen 1
do for [m = 1:nm] {
    set tmargin at screen 1 - (100.0 + (m - 1) * 440 + 30) / H
    set bmargin at screen 1 - (100.0 + m * 440 - 60) / H
    set lmargin at screen 0.08; set rmargin at screen 0.68
    f = sprintf('%s/sweep_m%d.dat', datadir, m)
    fr = sprintf('%s/sweep_front_%s_m%d.dat', datadir, what, m)
    set title mlabel[m] font ',11'
    unset logscale
    if (what eq 'acc') {
        set logscale x
        set xlabel "median latency of the forward pass, ms (log)"
        set ylabel "top-1 % (user-supplied)"
        plot for [s = 1:scount[m]] f index (s - 1) u 3:4 w p pt (s % 13 + 1) ps 1.2 lc s title slabel[sfirst[m] + s - 1], \
             fr u 1:2 w l lw 2 lc rgb 'black' title 'Pareto front (best top-1 for the latency)'
    } else {
        set logscale xy
        col = what eq 'macs' ? 1 : 2
        set xlabel (what eq 'macs' ? "GMACs (10^9 multiply-adds, log)" : "million parameters (log)")
        set ylabel "median latency of the forward pass, ms (log)"
        plot for [s = 1:scount[m]] f index (s - 1) u (column(col)):3 w p pt (s % 13 + 1) ps 1.2 lc s \
                 title slabel[sfirst[m] + s - 1], \
             fr u 1:2 w lp pt 6 ps 2.2 lw 1.5 lc rgb 'black' \
                 title (what eq 'macs' ? 'Pareto front (most MACs for the latency)' : 'Pareto front (most parameters for the latency)')
    }
    if (m == 1) { eval noheadline }
}
unset multiplot
