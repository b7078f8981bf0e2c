# Cost versus corpus size: x1, x4, x16, x64 copies of films-dev (bench_report
# writes growth.dat; a column is "nan" where an engine did not run).
#   gnuplot -e "data='DIR'; out='bench/results'" bench/plots/growth.gp
set terminal pngcairo size 1500,450 font "sans,10" noenhanced
set output out."/growth.png"
set multiplot layout 1,3 title "Cost growth: x1, x4, x16, x64 copies of films-dev"
set logscale xy
set grid
set xlabel "scenes"
set format x "%.0s%c"
set title "Selective queries (rare, phrase), top 10: p50 (solid), p99 (dashed)"
set key bottom right
set ylabel "latency (µs)"
plot data."/growth.dat" using 2:3 with linespoints title "Reel p50" lw 2 pt 7 lc 1, \
     "" using 2:6 with linespoints title "Reel p99" lw 2 dt 2 pt 6 lc 1, \
     "" using 2:4 with linespoints title "Xapian p50" lw 2 pt 5 lc 2, \
     "" using 2:7 with linespoints title "Xapian p99" lw 2 dt 2 pt 4 lc 2, \
     "" using 2:5 with linespoints title "FTS5 p50" lw 2 pt 9 lc 3, \
     "" using 2:8 with linespoints title "FTS5 p99" lw 2 dt 2 pt 8 lc 3
set title "Index size and resident memory"
set key top left
set ylabel "bytes"
set format y "%.0s%cB"
plot data."/growth.dat" using 2:9 with linespoints title "Reel index (memory_bytes)" lw 2 pt 7 lc 1, \
     "" using 2:11 with linespoints title "Reel RSS (in process)" lw 2 dt 2 pt 6 lc 1, \
     "" using 2:18 with linespoints title "search-service peak RSS" lw 2 dt 4 pt 13 lc 4, \
     "" using 2:10 with linespoints title "FTS5 db (pages)" lw 2 pt 9 lc 3, \
     "" using 2:13 with linespoints title "FTS5 RSS" lw 2 dt 2 pt 8 lc 3, \
     "" using 2:12 with linespoints title "Xapian RSS" lw 2 dt 2 pt 4 lc 2
set title "Build, and search-service start to ready"
set key top left
set ylabel "seconds"
set format y "%g"
plot data."/growth.dat" using 2:14 with linespoints title "Reel build (in process)" lw 2 pt 7 lc 1, \
     "" using 2:17 with linespoints title "search-service start to ready" lw 2 dt 4 pt 13 lc 4, \
     "" using 2:16 with linespoints title "FTS5 build" lw 2 pt 9 lc 3, \
     "" using 2:15 with linespoints title "Xapian build" lw 2 pt 5 lc 2
unset multiplot
