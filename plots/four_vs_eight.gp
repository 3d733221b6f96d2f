# 2. 4C vs 8C: grouped bars per family (params, MACs, bytes moved, measured latency).
load plotdir.'/common.gp'
W = 1400; H = 900
eval terminal
set output outdir.'/four_vs_eight.'.fmt
ttl = "4-connected (4C) vs 8-connected (8C) shift"
sub = subtitle
set style fill solid 0.85 border rgb '#303030'
set boxwidth 0.38
set grid ytics ls 100
set key top right
if (npair == 0) {
    set multiplot
    eval headline
    unset border; unset tics
    set label 10 "no 4C/8C twins among the networks" at graph 0.5, graph 0.5 center tc rgb grey
    set xrange [0:1]; set yrange [0:1]
    plot NaN notitle
    unset multiplot
    exit
}
set multiplot
eval headline
set xtics nomirror scale 0
set key top left horizontal samplen 2 reverse Left
set xrange [-0.6 : npair - 0.4]
f = datadir.'/4c8c.dat'
array ptitle[3] = ["parameters", "MACs", "bytes moved (compulsory fp32 traffic)"]
array plabel[3] = ["parameters (millions)", "GMACs (10^9 multiply-adds)", "MB moved per image"]
array pmax[3] = [params_max, gmacs_max, mb_max]
array pfmt[3] = ["%.1f", "%.2f", "%.0f"]
set tmargin at screen 0.86; set bmargin at screen 0.55
do for [q = 1:3] {
    set lmargin at screen 0.06 + (q - 1) * 0.325; set rmargin at screen 0.06 + q * 0.325 - 0.06
    set title ptitle[q]
    set ylabel plabel[q]
    set yrange [0 : pmax[q] * 1.15]
    c4 = 1 + 2 * q; c8 = 2 + 2 * q
    plot f u 2:(NaN):xtic(1) notitle, \
         f u ($2 - 0.2):c4 w boxes lc rgb color4 title "4C", \
         f u ($2 + 0.2):c8 w boxes lc rgb color8 title "8C", \
         f u ($2 - 0.2):c4:(sprintf(pfmt[q], column(c4))) w labels offset 0, 0.7 font ',9' notitle, \
         f u ($2 + 0.2):c8:(sprintf(pfmt[q], column(c8))) w labels offset 0, 0.7 font ',9' notitle
    if (q == 1) { eval noheadline }
}
set lmargin at screen 0.06; set rmargin at screen 0.97
set tmargin at screen 0.44; set bmargin at screen 0.10
set title "measured latency (whole forward pass: median, p10-p90)"
set ylabel "ms per image"
set xrange [-0.6 : nlat - 0.4]
set yrange [0 : lat_max * 1.15]
g = datadir.'/4c8c_lat.dat'
plot g u 3:(NaN):xtic(stringcolumn(1)."\n".stringcolumn(2)) notitle, \
     g u ($3 - 0.2):4 w boxes lc rgb color4 title "4C", \
     g u ($3 + 0.2):5 w boxes lc rgb color8 title "8C", \
     g u ($3 - 0.2):4:7:8 w yerrorbars pt 0 ps 0 lc rgb '#202020' title "p10-p90 of the passes", \
     g u ($3 + 0.2):5:9:10 w yerrorbars pt 0 ps 0 lc rgb '#202020' notitle, \
     g u ($3 - 0.2):($8 == $8 ? $8 : $4):(sprintf("%.1f", $4)) w labels offset 0, 0.7 font ',9' notitle, \
     g u ($3 + 0.2):($10 == $10 ? $10 : $5):(sprintf("%.1f", $5)) w labels offset 0, 0.7 font ',9' notitle, \
     g u 3:(($8 > $10 ? $8 : $10)):(sprintf("8C/4C %.2f", $6)) w labels offset 0, 2 font ',9' tc rgb grey notitle, \
     datadir.'/4c8c_missing.dat' u 1:(lat_max * 0.02):2 w labels rotate by 90 left font ',9' tc rgb grey notitle
unset multiplot
