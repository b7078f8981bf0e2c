# In-process top-10 latency per engine, under each query semantics (data from
# bench_report: latency_inprocess.dat has, after the percentile, the columns
# any_{reel,xapian,fts5,lucene} then all_{...}; latency_kinds.dat has, after
# the kind, any p50 x4, any p99 x4, all p50 x4, all p99 x4).
#   gnuplot -e "data='DIR'; out='bench/results'" bench/plots/latency_inprocess.gp
set terminal pngcairo size 1200,850 font "sans,10" noenhanced
set output out."/latency_inprocess.png"
set multiplot layout 2,2 title "In process, single thread, films-dev, top 10"
set logscale y
set ylabel "latency (µs)"
set grid ytics
set key top left
names = "Reel Xapian FTS5 Lucene"
# Filled point types; the open one is one less.
pt_of(e) = e == 1 ? 7 : e == 2 ? 5 : e == 3 ? 9 : 13
do for [m = 0:1] {
  semantics = m == 0 ? "any word" : "every word"
  set title "Latency percentiles, ".semantics
  set xlabel "percentile"
  set style data linespoints
  unset xrange
  plot for [e = 1:4] data."/latency_inprocess.dat" \
      using 0:(column(1 + 4 * m + e)):xtic(1) \
      title word(names, e) lw 2 pt pt_of(e) lc e
  set title "p50 (solid) and p99 (open) by query kind, ".semantics
  set xlabel "query kind"
  set style data points
  set xrange [-0.5:6.5]
  set key outside right top
  plot data."/latency_kinds.dat" using 0:(NaN):xtic(1) notitle, \
    for [e = 1:4] "" using ($0 + 0.15 * (e - 2.5)):(column(1 + 8 * m + e)) \
      title word(names, e)." p50" pt pt_of(e) ps 1.2 lc e, \
    for [e = 1:4] "" using ($0 + 0.15 * (e - 2.5)):(column(5 + 8 * m + e)) \
      title word(names, e)." p99" pt (pt_of(e) - 1) ps 1.2 lc e
  set key inside top left
}
unset multiplot
