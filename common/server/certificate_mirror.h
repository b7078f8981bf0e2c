// CertificateMirror: a private, validated copy of a TLS directory (tls.crt,
// tls.key, ca.crt) for gRPC's file-watcher certificate provider to read.
//
// gRPC re-reads its files and hands whatever it finds to new handshakes, so
// a half-written or broken rotation would break every new connection. The
// mirror checks the source directory every `interval`, and copies a new set
// only when every certificate parses and the key matches the certificate;
// a broken set is logged (once per content) and the last good one kept.
// Each accepted set is written to a new version directory and published by
// renaming one symlink, so a reader never mixes two versions' files.
//
// Mirrors are process-wide, one per source directory (gRPC reads the files
// for as long as any server or channel built from them lives): ForDirectory
// makes one on first use and keeps it until exit. The copy lives in a fresh
// 0700 directory under $TMPDIR (or /tmp), removed at exit. Thread-safe; one
// background thread per mirror.
#ifndef REEL_COMMON_SERVER_CERTIFICATE_MIRROR_H_
#define REEL_COMMON_SERVER_CERTIFICATE_MIRROR_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace reel {

class CertificateMirror {
 public:
  // The mirror of `source_dir`, made on first use: the files are copied
  // once (FAILED_PRECONDITION naming the problem when a present file is
  // unreadable or invalid) and then checked every `interval` (the first
  // caller's interval is kept).
  static absl::StatusOr<CertificateMirror*> ForDirectory(
      const std::string& source_dir, absl::Duration interval);
  // Copies `source_dir` once and starts watching it.
  static absl::StatusOr<std::unique_ptr<CertificateMirror>> Start(
      const std::string& source_dir, absl::Duration interval);
  ~CertificateMirror();
  CertificateMirror(const CertificateMirror&) = delete;
  CertificateMirror& operator=(const CertificateMirror&) = delete;

  // The file gRPC should read for `name` ("tls.crt", "tls.key", "ca.crt").
  std::string Path(const std::string& name) const;

 private:
  CertificateMirror(std::string source_dir, std::string root,
                    absl::Duration interval);
  // Copies the source when it changed and is valid.
  absl::Status Sync();
  void Run();
  void RunUntilStopped();

  const std::string source_dir_;
  const std::string root_;  // Private directory; root_/current -> version.
  const absl::Duration interval_;
  int version_ = 0;            // Only Sync() (start, then the thread).
  std::string published_;      // Contents of the published set.
  std::string last_rejected_;  // Contents last logged as invalid.
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace reel

#endif  // REEL_COMMON_SERVER_CERTIFICATE_MIRROR_H_
