# 6. Shift vs depthwise 3x3 vs dense 3x3: per network family, the spatial steps' MACs, bytes
# and summed step medians, and the whole forward pass (median, p10-p90), one bar a variant.
load plotdir.'/common.gp'
W = 1400; H = 900
eval terminal
set output outdir.'/spatial.'.fmt
ttl = "Shift vs depthwise 3x3 vs dense 3x3 (impl best; the shift apart: best --unfused-shift)"
sub = subtitle
array spcolor[4] = ["#8c8c8c", "#edc948", "#e15759", "#b07aa1"]
set style fill solid 0.85 border rgb '#303030'
set boxwidth 0.19
set grid ytics ls 100
f = datadir.'/spatial.dat'
if (nspatial == 0) {
    set multiplot
    eval headline
    unset border; unset tics
    set label 10 "not measured: shiftbench net NET --impl best for a shift network and its depthwise twin" at graph 0.5, graph 0.5 center tc rgb grey
    set xrange [0:1]; set yrange [0:1]
    plot NaN notitle
    unset multiplot
    exit
}
set multiplot
eval headline
set xtics nomirror scale 0 font ',9'
set xrange [-0.6 : ntrio - 0.4]
set xtics () 
do for [t = 1:ntrio] { set xtics add (triolabel[t] t - 1) }
array ptitle[4] = ["spatial steps: GMACs", "spatial steps: MB moved", "spatial steps: summed medians (ms)", "whole forward pass (ms, p10-p90)"]
array pcol[4] = [6, 7, 8, 9]
array pmax[4] = [sp_mac_max, sp_mb_max, sp_ms_max, sp_pass_max]
do for [q = 1:4] {
    col = q <= 2 ? q - 1 : q - 3
    row = q <= 2 ? 0 : 1
    set lmargin at screen 0.06 + col * 0.48; set rmargin at screen 0.06 + col * 0.48 + 0.42
    set tmargin at screen 0.86 - row * 0.42; set bmargin at screen 0.52 - row * 0.42
    set title ptitle[q]
    set yrange [0 : pmax[q] * 1.2]
    c = pcol[q]
    if (q == 1) {
        set key top left horizontal samplen 2 font ',9'
        plot for [k = 1:4] f u ($3 == k ? $1 : NaN):c w boxes lc rgb spcolor[k] title spvarlabel[k]
    } else {
        if (q < 4) {
            plot for [k = 1:4] f u ($3 == k ? $1 : NaN):c w boxes lc rgb spcolor[k] notitle, \
                 f u 1:c:(sprintf("%.3g", column(c))) w labels offset 0, 0.6 font ',8' notitle
        } else {
            plot for [k = 1:4] f u ($3 == k ? $1 : NaN):c w boxes lc rgb spcolor[k] notitle, \
                 f u 1:9:10:11 w yerrorbars pt 0 ps 0 lc rgb '#202020' notitle, \
                 f u 1:($11 == $11 ? $11 : $9):(sprintf("%.1f", $9)) w labels offset 0, 0.6 font ',8' notitle
        }
    }
    if (q == 1) { eval noheadline; unset key }
}
unset multiplot
