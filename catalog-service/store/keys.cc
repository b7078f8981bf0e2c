#include "catalog-service/store/keys.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace reel::catalog::keys {
namespace {

// Record layout: checksum (4B BE) | created, Unix microseconds (8B BE) | film.
constexpr size_t kIdempotencyHeaderBytes = 12;

void StoreBigEndian(uint64_t value, int bytes, char* out) {
  for (int i = bytes - 1; i >= 0; --i, value >>= 8) {
    out[i] = static_cast<char>(value & 0xff);
  }
}

uint64_t LoadBigEndian(const char* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value = (value << 8) | static_cast<unsigned char>(in[i]);
  }
  return value;
}

}  // namespace

std::string EncodeRevision(int64_t revision) {
  std::string bytes(8, '\0');
  StoreBigEndian(static_cast<uint64_t>(revision), 8, bytes.data());
  return bytes;
}

absl::StatusOr<int64_t> DecodeRevision(absl::string_view bytes) {
  if (bytes.size() != 8) {
    return absl::DataLossError(
        absl::StrCat("revision key has ", bytes.size(), " bytes, not 8"));
  }
  return static_cast<int64_t>(LoadBigEndian(bytes.data(), 8));
}

std::string EncodeIdempotencyRecord(const IdempotencyRecord& record) {
  std::string bytes(kIdempotencyHeaderBytes, '\0');
  StoreBigEndian(record.request_checksum, 4, bytes.data());
  StoreBigEndian(static_cast<uint64_t>(absl::ToUnixMicros(record.created)), 8,
                 bytes.data() + 4);
  bytes.append(record.response_film);
  return bytes;
}

absl::StatusOr<IdempotencyRecord> DecodeIdempotencyRecord(
    absl::string_view bytes) {
  if (bytes.size() < kIdempotencyHeaderBytes) {
    return absl::DataLossError("idempotency record is truncated");
  }
  IdempotencyRecord record;
  record.request_checksum =
      static_cast<uint32_t>(LoadBigEndian(bytes.data(), 4));
  record.created = absl::FromUnixMicros(
      static_cast<int64_t>(LoadBigEndian(bytes.data() + 4, 8)));
  record.response_film = std::string(bytes.substr(kIdempotencyHeaderBytes));
  return record;
}

}  // namespace reel::catalog::keys
