// How the catalog lays out its data in RocksDB.
//
// Column families:
//   films     film_id            -> Film (serialized, with revision and etag)
//   changes   revision (8B, BE)  -> FilmEvent: the change log WatchFilms reads
//   requests  request_id         -> IdempotencyRecord for CreateFilm retries
//   default   "revision"         -> newest committed revision (8B, BE)
//             "compacted_through"-> newest revision removed from `changes`
//             "history_id"       -> random id of this database's history,
//                                   replaced when it is restored
// Every write updates films, changes and "revision" in one WriteBatch, so the
// three can never disagree after a crash.
#ifndef REEL_CATALOG_SERVICE_STORE_KEYS_H_
#define REEL_CATALOG_SERVICE_STORE_KEYS_H_

#include <rocksdb/slice.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace reel::catalog::keys {

inline constexpr char kFilmsFamily[] = "films";
inline constexpr char kChangesFamily[] = "changes";
inline constexpr char kRequestsFamily[] = "requests";

inline constexpr char kRevisionKey[] = "revision";
inline constexpr char kCompactedThroughKey[] = "compacted_through";
inline constexpr char kHistoryIdKey[] = "history_id";

// Debian's Abseil has its own string_view, so bridge it to RocksDB's Slice.
inline rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}
inline absl::string_view FromSlice(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

// Big-endian so that byte order is numeric order.
std::string EncodeRevision(int64_t revision);
// DATA_LOSS when `bytes` is not 8 bytes long.
absl::StatusOr<int64_t> DecodeRevision(absl::string_view bytes);

// What CreateFilm remembers about a request_id: a checksum of the request (to
// tell a retry from a different request), when it ran, and its response.
struct IdempotencyRecord {
  uint32_t request_checksum = 0;
  absl::Time created;
  std::string response_film;  // Serialized Film.
};
std::string EncodeIdempotencyRecord(const IdempotencyRecord& record);
absl::StatusOr<IdempotencyRecord> DecodeIdempotencyRecord(
    absl::string_view bytes);

}  // namespace reel::catalog::keys

#endif  // REEL_CATALOG_SERVICE_STORE_KEYS_H_
