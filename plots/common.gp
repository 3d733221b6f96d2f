# Shared by the chart scripts. shiftbench plot runs each as
#   gnuplot -e "plotdir='...'; datadir='...'; outdir='...'; fmt='svg'|'png'; subtitle='...'" plots/NAME.gp
# settings.gp (written beside the data files) holds the chart-wide values taken from the
# results, the cost model and the accuracy data; nothing here is a measurement.
load datadir.'/settings.gp'
set datafile separator "\t"
set datafile missing "NaN"
set encoding utf8
array catcolor[8] = ["#4e79a7", "#59a14f", "#e15759", "#b07aa1", "#edc948", "#f28e2b", "#76b7b2", "#8c8c8c"]
array implpt[4] = [7, 5, 9, 13]
array implcolor[4] = ["#4e79a7", "#e15759", "#59a14f", "#8c8c8c"]
color4 = "#4e79a7"
color8 = "#f28e2b"
grey = "#707070"
set style line 100 lc rgb "#d8d8d8" lw 1 dt 1
# terminal(W, H): the output terminal for fmt; pngcairo when gnuplot has it
terminal = "if (fmt eq 'svg') { set terminal svg size W, H dynamic noenhanced font 'Sans,12' background rgb 'white' } else { if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size W, H noenhanced font 'Sans,11' background rgb 'white' } else { set terminal png size W, H noenhanced font 'Sans,11' background rgb 'white' } }"
# headline: the title and the subtitle (machine and settings) at the top of the canvas;
# drawn with the first panel of a multiplot, then removed
headline = "set label 901 ttl at screen 0.5, screen 0.975 center font ',17'; set label 902 sub at screen 0.5, screen 0.94 center font ',10' tc rgb '#404040'"
noheadline = "unset label 901; unset label 902"
