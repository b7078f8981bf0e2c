# End-to-end search latency and throughput per client count (bench_report).
#   gnuplot -e "data='DIR'; out='bench/results'" bench/plots/latency_e2e.gp
set terminal pngcairo size 1100,450 font "sans,10" noenhanced
set output out."/latency_e2e.png"
set multiplot layout 1,2 title "End to end on loopback, top 10 (2 CPUs shared by clients and servers)"
set grid ytics
set key top left
set xlabel "concurrent clients"
set title "Latency p50 (solid) and p99 (dashed)"
set logscale y
set ylabel "latency (µs)"
plot data."/latency_e2e.dat" using 0:2:xtic(1) with linespoints title "Reel p50" lw 2 pt 7 lc 1, \
     "" using 0:5 with linespoints title "Reel p99" lw 2 dt 2 pt 6 lc 1, \
     "" using 0:3 with linespoints title "PostgreSQL p50" lw 2 pt 9 lc 3, \
     "" using 0:6 with linespoints title "PostgreSQL p99" lw 2 dt 2 pt 8 lc 3, \
     "" using 0:4 with linespoints title "echo p50" lw 2 pt 5 lc 2, \
     "" using 0:7 with linespoints title "echo p99" lw 2 dt 2 pt 4 lc 2
set title "Throughput"
unset logscale y
set ylabel "calls/s"
set yrange [0:*]
plot data."/latency_e2e.dat" using 0:8:xtic(1) with linespoints title "Reel SearchScenes" lw 2 pt 7 lc 1, \
     "" using 0:9 with linespoints title "PostgreSQL FTS" lw 2 pt 9 lc 3, \
     "" using 0:10 with linespoints title "gRPC echo (ceiling)" lw 2 pt 5 lc 2
unset multiplot
