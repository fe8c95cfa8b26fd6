# Delivery rate over time from paper-synthetic time-series CSVs (docs/metrics.md): the on-time
# rate of each 10 s window of the measured period by publication time, one line per file (seed),
# the 99% and 99.9% levels, and the online clients and live nodes (first file) on the right axis.
#
#   gnuplot -e "files='a.csv b.csv'; out='delivery.png'; title='crash10'" bench/sim/plot_delivery.gp
#
# `files`: space-separated CSV paths; `out`: the PNG to write; `title` (optional).
if (!exists("files")) files = "paper-synthetic-timeseries.csv"
if (!exists("out")) out = "delivery.png"
if (!exists("title")) title = "paper-synthetic: delivered on time, by publication window"

set terminal pngcairo size 1200,600 font ",10"
set output out
set datafile separator ","
set datafile missing "NaN"
set title title
set xlabel "publication time (s)"
set ylabel "delivered on time (fraction of pairs due)"
set y2label "online clients / live nodes"
set yrange [*:1.002]
set y2range [0:*]
set ytics nomirror
set y2tics
set key bottom left
set grid ytics
# Columns: 1 window_start_s, 2 measured, 3 published, 4 pairs_due, 5 on_time, 6 delivered,
# 7 pending, 8 rate, 9 online_clients, 10 live_nodes, 11 mailboxes.
first = word(files, 1)
label(f) = strstrt(f, "seed") > 0 ? f[strstrt(f, "seed"):strstrt(f, "seed") + 4] : f
plot \
    for [f in files] f using 1:($2 == 1 ? $8 : NaN) with lines lw 1.5 title sprintf("on time, %s", label(f)), \
    0.99 with lines dt 2 lc rgb "red" title "99%", \
    0.999 with lines dt 3 lc rgb "dark-green" title "99.9%", \
    first using 1:9 axes x1y2 with lines lc rgb "gray" title "online clients", \
    first using 1:10 axes x1y2 with lines lc rgb "black" dt 4 title "live nodes"
