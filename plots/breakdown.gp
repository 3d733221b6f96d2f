# 3. Per-layer latency breakdown: stacked bars by op kind, per network (left) and per
# stage (right), one row per implementation; one chart per comparison group.
load plotdir.'/common.gp'
W = 1400; H = 130 + 400 * (nimpl > 0 ? nimpl : 1)
eval terminal
set style fill solid 0.9 border rgb '#404040'
set boxwidth 0.8
set grid ytics ls 100
do for [g = 1:ngroup] {
    set output outdir.'/breakdown_'.gname[g].'.'.fmt
    ttl = "Per-layer latency breakdown by op kind and stage"
    sub = subtitle
    nn = gnets[g]
    ns = gnstage[g]
    set multiplot
    eval headline
    if (nimpl == 0) {
        unset border; unset tics
        set label 10 "no measurements (run: make run)" at screen 0.5, screen 0.5 center tc rgb grey
        set xrange [0:1]; set yrange [0:1]
        plot NaN notitle
        unset label 10
        set border; set tics
    }
    do for [i = 1:nimpl] {
        # rows of 400 px under 110 px of titles; 105 px of each for the rotated names
        top = 1 - (110.0 + (i - 1) * 400 + 30) / H
        bot = 1 - (110.0 + i * 400 - 105) / H
        gi = (g - 1) * 4 + i
        # whole network: step sums by kind, and the measured forward pass
        set lmargin at screen 0.06; set rmargin at screen 0.24
        set tmargin at screen top; set bmargin at screen bot
        set xrange [-0.6 : nn - 0.4]
        set yrange [0 : gtmax[gi]]
        set xtics rotate by 30 right font ',9'
        set ylabel "ms per image"
        set title impl[i]." - whole network"
        t = sprintf('%s/bdt_%d_%d.dat', datadir, g, i)
        set key at screen 0.995, screen top - 0.30 top right Left reverse samplen 1.5
        plot t u 1:(NaN):xtic(2) notitle, \
             for [k = ncat:1:-1] t u 1:(column(k + 2)) w boxes fc rgb catcolor[k] notitle, \
             t u 1:10:(0.4) w xerrorbars pt 0 lw 2 lc rgb 'black' title (i == 1 ? "forward pass (measured)" : ""), \
             sprintf('%s/bdm_%d_%d.dat', datadir, g, i) u 1:(gtmax[gi] * 0.03):2 w labels rotate by 90 left font ',9' tc rgb grey notitle
        if (i == 1) { eval noheadline }
        # per stage
        set lmargin at screen 0.29; set rmargin at screen 0.76
        set xrange [-0.8 : (ns + 2) * (nn + 1) - 1.2]
        set yrange [0 : gmax[gi]]
        set xtics rotate by 30 right font ',8'
        unset ylabel
        set title impl[i]." - per stage (summed step medians)"
        s = sprintf('%s/bd_%d_%d.dat', datadir, g, i)
        set key at screen 0.995, screen top top right Left reverse samplen 1.5 spacing 1.2 title (i == 1 ? "op kind" : "")
        plot s u 1:(NaN):xtic(2) notitle, \
             for [k = ncat:1:-1] s u 1:(column(k + 3)) w boxes fc rgb catcolor[k] \
                 title (i == 1 && gcatused[(g - 1) * ncat + k] ? catlabel[k] : ""), \
             sprintf('%s/bdl_%d.dat', datadir, g) u 1:(gmax[gi] * 0.96):2 w labels font ',10' tc rgb '#303030' notitle
        unset key
        set key default
    }
    unset multiplot
}
