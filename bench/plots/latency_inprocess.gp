# In-process top-10 latency percentiles per engine (data from bench_report).
#   gnuplot -e "data='DIR'; out='bench/results'" bench/plots/latency_inprocess.gp
set terminal pngcairo size 1100,450 font "sans,10" noenhanced
set output out."/latency_inprocess.png"
set multiplot layout 1,2 title "In process, single thread, films-dev (13,106 scenes), top 10"
set logscale y
set ylabel "latency (µs)"
set grid ytics
set key top left
set style data linespoints
set title "Latency percentiles, all 1,002 queries"
set xlabel "percentile"
plot data."/latency_inprocess.dat" using 0:2:xtic(1) title "Reel" lw 2 pt 7, \
     "" using 0:3 title "Xapian (in-memory)" lw 2 pt 5, \
     "" using 0:4 title "SQLite FTS5" lw 2 pt 9
set title "p50 (solid) and p99 (open) by query kind"
set xlabel "query kind"
set style data points
set xrange [-0.5:5.5]
plot data."/latency_kinds.dat" using ($0-0.2):2:xtic(1) title "Reel p50" pt 7 ps 1.3 lc 1, \
     "" using ($0-0.2):5 title "Reel p99" pt 6 ps 1.3 lc 1, \
     "" using ($0):3 title "Xapian p50" pt 5 ps 1.3 lc 2, \
     "" using ($0):6 title "Xapian p99" pt 4 ps 1.3 lc 2, \
     "" using ($0+0.2):4 title "FTS5 p50" pt 9 ps 1.3 lc 3, \
     "" using ($0+0.2):7 title "FTS5 p99" pt 8 ps 1.3 lc 3
unset multiplot
