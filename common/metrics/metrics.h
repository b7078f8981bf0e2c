// MetricsRegistry: counters, gauges and latency histograms rendered in the
// Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// A metric family is a name with a help text and a type; each distinct set
// of label values is one series. Get*() creates the series on first use and
// returns a reference that stays valid for the registry's lifetime, so hot
// paths can look a series up once and then update it without locking.
// Callback gauges are read at Render() time: whatever they capture must
// outlive the registry's last Render() (in Reel, the GrpcServer that owns the
// registry is destroyed before the objects its gauges read).
//
// Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and label names
// [a-zA-Z_][a-zA-Z0-9_]*; label values may be any text (escaped on output).
// Reusing a name with a different type is a programming error (CHECK-style
// abort). Thread-safe: updates are lock-free atomics; Get*() and Render()
// take the registry's mutex.
#ifndef REEL_COMMON_METRICS_METRICS_H_
#define REEL_COMMON_METRICS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace reel {

// Label name/value pairs, in the order they are rendered.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count.
class Counter {
 public:
  void Increment(double delta = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down (e.g. streams open now).
class Gauge {
 public:
  void Add(double delta);
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets (upper bounds, ascending; +Inf is
// implied), plus their sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count per bucket; the last is the +Inf overflow bucket.
  std::vector<uint64_t> bucket_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// RPC latency buckets in seconds: 1 ms to 60 s.
absl::Span<const double> LatencyBucketsSeconds();

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter& GetCounter(const std::string& name, const std::string& help,
                      const MetricLabels& labels = {});
  Gauge& GetGauge(const std::string& name, const std::string& help,
                  const MetricLabels& labels = {});
  // `bounds` is used when the series is created; empty means
  // LatencyBucketsSeconds().
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const MetricLabels& labels = {},
                          std::vector<double> bounds = {});
  // A gauge whose value `read` computes at each Render(). A second callback
  // for the same name and labels replaces the first.
  void AddCallbackGauge(const std::string& name, const std::string& help,
                        const MetricLabels& labels,
                        std::function<double()> read);

  // A counter whose value `read` computes at each Render(), for counts kept
  // elsewhere (it must never decrease).
  void AddCallbackCounter(const std::string& name, const std::string& help,
                          const MetricLabels& labels,
                          std::function<double()> read);

  // Every family, sorted by name, as exposition text (ends with a newline
  // unless empty).
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    MetricLabels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> callback;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    Type type;
    std::string help;
    // Keyed by the rendered label set, so series print in a stable order.
    std::map<std::string, Series> series;
  };

  // The series for name+labels, creating family and series as needed.
  Series& FindOrAdd(const std::string& name, const std::string& help, Type type,
                    const MetricLabels& labels)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  mutable absl::Mutex mutex_;
  std::map<std::string, Family> families_ ABSL_GUARDED_BY(mutex_);
};

// Formats a sample value the way Prometheus parses it: integers without a
// fraction, NaN, +Inf, -Inf, otherwise the shortest round-tripping decimal.
std::string FormatMetricValue(double value);

}  // namespace reel

#endif  // REEL_COMMON_METRICS_METRICS_H_
