# Median wall time per test and runtime, from bench/summarize.py's chart data.
# gnuplot -e "datafile='...'; outfile='...'" bench/chart.gp
set terminal pngcairo size 1000,560 noenhanced font ",11"
set output outfile
set title "Container start latency, median ms (lower is better); floor = clone+pivot_root+exec"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "ms (median)"
set yrange [0:*]
set grid ytics
set key top left
set datafile separator "\t"
set datafile missing "NaN"
plot for [i=2:6] datafile using i:xtic(1) title columnheader(i)
