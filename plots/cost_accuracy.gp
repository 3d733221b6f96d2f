# 1. Cost vs accuracy: top-1 vs GMACs and vs parameters, one labelled point per network
# with a recorded accuracy; the others on a strip below, at their cost, never at a height.
load plotdir.'/common.gp'
W = 1400; H = 860
eval terminal
set output outdir.'/cost_accuracy.'.fmt
ttl = "Cost vs accuracy"
sub = cost_subtitle
set multiplot
eval headline
set grid ls 100
set key top left Left reverse
do for [col = 1:2] {
    L = col == 1 ? 0.08 : 0.56
    R = col == 1 ? 0.46 : 0.94
    xc = col == 1 ? 3 : 2
    xlo = col == 1 ? macs_lo : params_lo
    xhi = col == 1 ? macs_hi : params_hi
    strip = col == 1 ? 'noacc_macs.dat' : 'noacc_params.dat'
    set lmargin at screen L; set rmargin at screen R
    set tmargin at screen 0.87; set bmargin at screen 0.45
    set xrange [xlo:xhi]; set yrange [top1_lo:top1_hi]
    set format x ""; set xlabel ""
    set ytics auto; set format y "%g"
    set ylabel "ImageNet top-1 (%)"
    set title (col == 1 ? "top-1 vs MACs" : "top-1 vs parameters")
    if (n_acc > 0) {
        plot datadir.'/cost_acc.dat' u xc:4 w p pt 7 ps 1.6 lc rgb color4 title "top-1 recorded (source in the report)", \
             '' u xc:4:1 w labels offset 0, 1.2 font ',10' notitle
    } else {
        set label 10 "no accuracy recorded" at graph 0.5, graph 0.5 center tc rgb grey
        plot NaN notitle
        unset label 10
    }
    if (col == 1) { eval noheadline }
    unset title
    set tmargin at screen 0.43; set bmargin at screen 0.09
    set yrange [-strip_lines - 0.8 : 0.9]
    unset ytics
    set ylabel "accuracy\nnot recorded" tc rgb grey
    set format x "%g"
    set xlabel (col == 1 ? "GMACs (10^9 multiply-adds per image)" : "parameters (millions)")
    set xtics auto
    set grid noytics
    plot datadir.'/'.strip u 2:3 w p pt 6 ps 1.4 lc rgb grey notitle, \
         '' u 4:5:1 w labels font ',9' tc rgb '#303030' notitle
    set grid ytics
    set ylabel tc rgb 'black'
}
unset multiplot
