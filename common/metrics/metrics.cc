#include "common/metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace reel {
namespace {

constexpr double kLatencyBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                      0.05,  0.1,    0.25,  0.5,  1,
                                      2.5,   5,      10,    30,   60};

bool ValidName(const std::string& name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '_' || (allow_colon && c == ':') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Escapes a label value: backslash, double quote and newline.
void AppendLabelValue(const std::string& value, std::string* out) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

// Escapes HELP text: backslash and newline.
std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (const char c : help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// `{a="x",b="y"}` plus an optional extra label (for le=); "" when empty.
std::string RenderLabels(const MetricLabels& labels,
                         const std::string& extra_name = "",
                         const std::string& extra_value = "") {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out.push_back(',');
    first = false;
    absl::StrAppend(&out, name, "=\"");
    AppendLabelValue(value, &out);
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out.push_back(',');
    absl::StrAppend(&out, extra_name, "=\"");
    AppendLabelValue(extra_value, &out);
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

void AtomicAdd(std::atomic<double>& target, double delta) {
  target.fetch_add(delta, std::memory_order_relaxed);
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "MetricsRegistry: %s\n", message.c_str());
  std::abort();
}

}  // namespace

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 9.007199254740992e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

absl::Span<const double> LatencyBucketsSeconds() { return kLatencyBuckets; }

void Counter::Increment(double delta) {
  if (delta > 0) AtomicAdd(value_, delta);
}

void Gauge::Add(double delta) { AtomicAdd(value_, delta); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  const size_t bucket =
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  for (size_t i = 0; i < counts.size(); ++i) {
    counts[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  return counts;
}

MetricsRegistry::Series& MetricsRegistry::FindOrAdd(
    const std::string& name, const std::string& help, Type type,
    const MetricLabels& labels) {
  if (!ValidName(name, /*allow_colon=*/true)) {
    Die(absl::StrCat("bad metric name \"", name, "\""));
  }
  for (const auto& label : labels) {
    if (!ValidName(label.first, /*allow_colon=*/false) || label.first == "le") {
      Die(absl::StrCat("bad label name \"", label.first, "\" on ", name));
    }
  }
  auto [family_it, inserted] = families_.try_emplace(name);
  Family& family = family_it->second;
  if (inserted) {
    family.type = type;
    family.help = help;
  } else if (family.type != type) {
    Die(absl::StrCat("metric ", name, " registered with two types"));
  }
  Series& series = family.series[RenderLabels(labels)];
  if (series.labels.empty()) series.labels = labels;
  return series;
}

Counter& MetricsRegistry::GetCounter(const std::string& name,
                                     const std::string& help,
                                     const MetricLabels& labels) {
  absl::MutexLock lock(&mutex_);
  Series& series = FindOrAdd(name, help, Type::kCounter, labels);
  if (series.callback != nullptr) {
    Die(absl::StrCat("counter ", name, " already has a callback"));
  }
  if (series.counter == nullptr) series.counter = std::make_unique<Counter>();
  return *series.counter;
}

Gauge& MetricsRegistry::GetGauge(const std::string& name,
                                 const std::string& help,
                                 const MetricLabels& labels) {
  absl::MutexLock lock(&mutex_);
  Series& series = FindOrAdd(name, help, Type::kGauge, labels);
  if (series.callback != nullptr) {
    Die(absl::StrCat("gauge ", name, " already has a callback"));
  }
  if (series.gauge == nullptr) series.gauge = std::make_unique<Gauge>();
  return *series.gauge;
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name,
                                         const std::string& help,
                                         const MetricLabels& labels,
                                         std::vector<double> bounds) {
  absl::MutexLock lock(&mutex_);
  Series& series = FindOrAdd(name, help, Type::kHistogram, labels);
  if (series.histogram == nullptr) {
    if (bounds.empty()) {
      bounds.assign(LatencyBucketsSeconds().begin(),
                    LatencyBucketsSeconds().end());
    }
    series.histogram = std::make_unique<Histogram>(std::move(bounds));
  }
  return *series.histogram;
}

void MetricsRegistry::AddCallbackGauge(const std::string& name,
                                       const std::string& help,
                                       const MetricLabels& labels,
                                       std::function<double()> read) {
  absl::MutexLock lock(&mutex_);
  Series& series = FindOrAdd(name, help, Type::kGauge, labels);
  if (series.gauge != nullptr) {
    Die(absl::StrCat("gauge ", name, " already has a value"));
  }
  series.callback = std::move(read);
}

void MetricsRegistry::AddCallbackCounter(const std::string& name,
                                         const std::string& help,
                                         const MetricLabels& labels,
                                         std::function<double()> read) {
  absl::MutexLock lock(&mutex_);
  Series& series = FindOrAdd(name, help, Type::kCounter, labels);
  if (series.counter != nullptr) {
    Die(absl::StrCat("counter ", name, " already has a value"));
  }
  series.callback = std::move(read);
}

std::string MetricsRegistry::Render() const {
  absl::MutexLock lock(&mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    const char* type = family.type == Type::kCounter ? "counter"
                       : family.type == Type::kGauge ? "gauge"
                                                     : "histogram";
    absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(family.help), "\n",
                    "# TYPE ", name, " ", type, "\n");
    for (const auto& [label_text, series] : family.series) {
      switch (family.type) {
        case Type::kCounter: {
          const double value = series.callback != nullptr
                                   ? series.callback()
                                   : series.counter->value();
          absl::StrAppend(&out, name, label_text, " ", FormatMetricValue(value),
                          "\n");
          break;
        }
        case Type::kGauge: {
          const double value = series.callback != nullptr
                                   ? series.callback()
                                   : series.gauge->value();
          absl::StrAppend(&out, name, label_text, " ", FormatMetricValue(value),
                          "\n");
          break;
        }
        case Type::kHistogram: {
          const Histogram& histogram = *series.histogram;
          const std::vector<uint64_t> counts = histogram.bucket_counts();
          uint64_t cumulative = 0;
          for (size_t i = 0; i < counts.size(); ++i) {
            cumulative += counts[i];
            const std::string le =
                i < histogram.bounds().size()
                    ? FormatMetricValue(histogram.bounds()[i])
                    : "+Inf";
            absl::StrAppend(&out, name, "_bucket",
                            RenderLabels(series.labels, "le", le), " ",
                            cumulative, "\n");
          }
          // _count equals the +Inf bucket, read from the same snapshot.
          absl::StrAppend(&out, name, "_sum", label_text, " ",
                          FormatMetricValue(histogram.sum()), "\n", name,
                          "_count", label_text, " ", cumulative, "\n");
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace reel
