// MetricsRegistry renders the Prometheus text exposition format 0.0.4
// exactly: HELP/TYPE lines, escaped label values, cumulative histogram
// buckets with +Inf, _sum and _count.
#include "common/metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace reel {
namespace {

using ::testing::HasSubstr;

TEST(MetricsRegistryTest, RendersCounterWithEscapedLabels) {
  MetricsRegistry registry;
  registry
      .GetCounter("requests_total", "Requests by code.",
                  {{"method", "Get"}, {"code", "OK"}})
      .Increment();
  Counter& odd = registry.GetCounter("requests_total", "Requests by code.",
                                     {{"method", "a\"b\\c\nd"}, {"code", "X"}});
  odd.Increment(2);
  odd.Increment(-5);  // Ignored: counters only go up.
  EXPECT_EQ(registry.Render(),
            "# HELP requests_total Requests by code.\n"
            "# TYPE requests_total counter\n"
            "requests_total{method=\"Get\",code=\"OK\"} 1\n"
            "requests_total{method=\"a\\\"b\\\\c\\nd\",code=\"X\"} 2\n");
}

TEST(MetricsRegistryTest, SameSeriesIsReturnedTwice) {
  MetricsRegistry registry;
  Counter& a = registry.GetCounter("c_total", "C.", {{"k", "v"}});
  Counter& b = registry.GetCounter("c_total", "C.", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
}

TEST(MetricsRegistryTest, RendersHistogramCumulatively) {
  MetricsRegistry registry;
  Histogram& histogram = registry.GetHistogram(
      "rpc_seconds", "Latency.", {{"method", "Get"}}, {0.01, 0.1, 1});
  histogram.Observe(0.005);
  histogram.Observe(0.01);  // On a bound: counted in that bucket (le).
  histogram.Observe(0.5);
  histogram.Observe(7);
  EXPECT_EQ(registry.Render(),
            "# HELP rpc_seconds Latency.\n"
            "# TYPE rpc_seconds histogram\n"
            "rpc_seconds_bucket{method=\"Get\",le=\"0.01\"} 2\n"
            "rpc_seconds_bucket{method=\"Get\",le=\"0.1\"} 2\n"
            "rpc_seconds_bucket{method=\"Get\",le=\"1\"} 3\n"
            "rpc_seconds_bucket{method=\"Get\",le=\"+Inf\"} 4\n"
            "rpc_seconds_sum{method=\"Get\"} 7.515\n"
            "rpc_seconds_count{method=\"Get\"} 4\n");
}

TEST(MetricsRegistryTest, DefaultHistogramUsesLatencyBuckets) {
  MetricsRegistry registry;
  registry.GetHistogram("t_seconds", "T.").Observe(0.002);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("t_seconds_bucket{le=\"0.001\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("t_seconds_bucket{le=\"0.0025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("t_seconds_bucket{le=\"60\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("t_seconds_bucket{le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("t_seconds_count 1\n"));
}

TEST(MetricsRegistryTest, GaugesAndCallbacksSortedByName) {
  MetricsRegistry registry;
  int64_t revision = 41;
  registry.AddCallbackGauge("z_revision", "Revision.", {},
                            [&revision] { return revision; });
  Gauge& streams = registry.GetGauge("a_streams", "Open streams\\now.");
  streams.Add(3);
  streams.Add(-1);
  registry.AddCallbackCounter("m_stalled_total", "Stalled.", {},
                              [] { return 5; });
  revision = 42;  // Read at Render().
  EXPECT_EQ(registry.Render(),
            "# HELP a_streams Open streams\\\\now.\n"
            "# TYPE a_streams gauge\n"
            "a_streams 2\n"
            "# HELP m_stalled_total Stalled.\n"
            "# TYPE m_stalled_total counter\n"
            "m_stalled_total 5\n"
            "# HELP z_revision Revision.\n"
            "# TYPE z_revision gauge\n"
            "z_revision 42\n");
}

TEST(MetricsRegistryTest, FormatsValues) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(-3), "-3");
  EXPECT_EQ(FormatMetricValue(1e15), "1000000000000000");
  EXPECT_EQ(FormatMetricValue(0.25), "0.25");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()),
            "-Inf");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(MetricsRegistryDeathTest, TypeClashAborts) {
  MetricsRegistry registry;
  registry.GetCounter("x_total", "X.");
  EXPECT_DEATH(registry.GetGauge("x_total", "X."), "two types");
  EXPECT_DEATH(registry.GetCounter("bad name", "X."), "bad metric name");
}

}  // namespace
}  // namespace reel
