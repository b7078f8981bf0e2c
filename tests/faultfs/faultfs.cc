// faultfs: a pass-through FUSE filesystem for tests that simulates a power
// cut and a full disk.
//
//   faultfs BACKING_DIR MOUNTPOINT [--quota_bytes=N]
//
// Every operation is applied to BACKING_DIR at once, and faultfs remembers
// how to undo what is not yet durable, in the spirit of Jepsen's LazyFS:
//   - file data written (or truncated, or extended) since the file's last
//     fsync/fdatasync: the file's size at its last sync and the original bytes
//     of every 4 KiB block overwritten since;
//   - directory entries created, removed or renamed since the fsync of the
//     directory holding them (a rename needs both directories synced; removed
//     files wait in a trash directory beside BACKING_DIR until then).
// Writing "power-cut" to MOUNTPOINT/.faultfs undoes all of that, so
// BACKING_DIR holds exactly what a machine losing power would keep, and every
// later operation fails with EIO (the disk is gone): kill the program using
// the mount, unmount (SIGTERM), then restart it on BACKING_DIR.
// "quota N" sets a byte quota (0: none): a write or truncate that would make
// the files' total size exceed it fails with ENOSPC, and statfs reports the
// quota. Reading MOUNTPOINT/.faultfs gives the counters.
//
// A simplified model, enough for RocksDB: one lock serializes all operations;
// directory renames are not tracked through the paths of pending entries;
// fsync of a file does not make its directory entry durable (POSIX does not
// promise it). Prints "faultfs mounted at MOUNTPOINT" once mounted; exits 2
// when the mount is refused.
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 14)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace {

constexpr char kControlPath[] = "/.faultfs";
constexpr int64_t kBlock = 4096;

// A file written since its last sync: how to put it back.
struct DirtyFile {
  int fd = -1;  // Our own descriptor, valid even after the file is unlinked.
  int64_t synced_size = 0;
  // Block index -> the block's bytes at the last sync (cut at synced_size).
  std::map<int64_t, std::string> saved;
};

// A directory change not yet made durable by fsync of its directories.
struct EntryChange {
  enum class Kind { kCreated, kMadeDir, kUnlinked, kRemovedDir, kRenamed };
  Kind kind;
  std::string path;   // Created/removed path, or rename source.
  std::string to;     // Rename target.
  std::string trash;  // Where a removed or replaced entry waits; or empty.
  std::set<std::string> dirs;  // Directories still to be synced.

  static EntryChange Of(Kind kind, std::string path, std::string to,
                        std::string trash, std::set<std::string> dirs) {
    return EntryChange{kind, std::move(path), std::move(to), std::move(trash),
                       std::move(dirs)};
  }
};

const char* KindName(EntryChange::Kind kind) {
  switch (kind) {
    case EntryChange::Kind::kCreated:
      return "create";
    case EntryChange::Kind::kMadeDir:
      return "mkdir";
    case EntryChange::Kind::kUnlinked:
      return "unlink";
    case EntryChange::Kind::kRemovedDir:
      return "rmdir";
    case EntryChange::Kind::kRenamed:
      return "rename";
  }
  return "?";
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

class FaultFs {
 public:
  FaultFs(std::string backing, int64_t quota)
      : backing_(std::move(backing)),
        trash_(backing_ + ".faultfs-trash"),
        quota_(quota) {
    std::error_code error;
    std::filesystem::remove_all(trash_, error);
    std::filesystem::create_directories(trash_, error);
    for (auto it =
             std::filesystem::recursive_directory_iterator(backing_, error);
         !error && it != std::filesystem::recursive_directory_iterator();
         it.increment(error)) {
      if (it->is_regular_file(error)) used_ += it->file_size(error);
    }
  }
  ~FaultFs() {
    std::error_code error;
    std::filesystem::remove_all(trash_, error);
  }

  std::string Backing(const char* path) const { return backing_ + path; }

  absl::Mutex mu;
  bool dead() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return dead_; }

  // Room for a file to grow by `growth` bytes, or ENOSPC.
  int Reserve(int64_t growth) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (growth > 0 && quota_ > 0 && used_ + growth > quota_) return -ENOSPC;
    used_ += growth;
    return 0;
  }
  void Release(int64_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    used_ -= bytes;
  }

  // Before [offset, end) of the file open as `fd` changes: remembers its
  // synced state, saving the synced blocks the change touches.
  int BeforeChange(int fd, int64_t offset, int64_t end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -errno;
    auto key = std::make_pair(st.st_dev, st.st_ino);
    auto it = dirty_.find(key);
    if (it == dirty_.end()) {
      DirtyFile file;
      file.fd = dup(fd);
      if (file.fd < 0) return -errno;
      file.synced_size = st.st_size;
      it = dirty_.emplace(key, std::move(file)).first;
    }
    DirtyFile& file = it->second;
    end = std::min(end, file.synced_size);
    for (int64_t block = offset / kBlock; block * kBlock < end; ++block) {
      if (file.saved.count(block) != 0) continue;
      const int64_t start = block * kBlock;
      std::string bytes(std::min(kBlock, file.synced_size - start), '\0');
      const ssize_t n = pread(file.fd, bytes.data(), bytes.size(), start);
      if (n < 0) return -errno;
      bytes.resize(n);
      file.saved.emplace(block, std::move(bytes));
    }
    return 0;
  }

  // fsync/fdatasync: the file's data as it is now is durable.
  int SyncFile(int fd) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -errno;
    auto it = dirty_.find(std::make_pair(st.st_dev, st.st_ino));
    if (it != dirty_.end()) {
      close(it->second.fd);
      dirty_.erase(it);
    }
    ++syncs_;
    return 0;
  }

  void Record(EntryChange change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    pending_.push_back(std::move(change));
  }
  std::string NewTrashPath() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return absl::StrCat(trash_, "/", ++trash_sequence_);
  }

  // fsync of directory `dir`: its entries are durable.
  void SyncDir(const std::string& dir) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::vector<EntryChange> still;
    for (EntryChange& change : pending_) {
      change.dirs.erase(dir);
      if (!change.dirs.empty()) {
        still.push_back(std::move(change));
      } else if (!change.trash.empty()) {
        std::error_code error;
        std::filesystem::remove_all(change.trash, error);
      }
    }
    pending_ = std::move(still);
    ++syncs_;
  }

  // Drops everything not yet durable; from now on every operation fails.
  void PowerCut() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (auto& [key, file] : dirty_) {
      if (ftruncate(file.fd, file.synced_size) != 0) perror("faultfs: undo");
      for (const auto& [block, bytes] : file.saved) {
        if (pwrite(file.fd, bytes.data(), bytes.size(), block * kBlock) < 0) {
          perror("faultfs: undo");
        }
      }
      close(file.fd);
    }
    dirty_.clear();
    std::error_code error;
    for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
      const std::string path = backing_ + it->path;
      fprintf(stderr, "faultfs: power cut undoes %s %s%s%s\n",
              KindName(it->kind), it->path.c_str(),
              it->to.empty() ? "" : " -> ", it->to.c_str());
      switch (it->kind) {
        case EntryChange::Kind::kCreated:
          unlink(path.c_str());
          break;
        case EntryChange::Kind::kMadeDir:
          std::filesystem::remove_all(path, error);
          break;
        case EntryChange::Kind::kUnlinked:
          rename(it->trash.c_str(), path.c_str());
          break;
        case EntryChange::Kind::kRemovedDir:
          mkdir(path.c_str(), 0700);
          break;
        case EntryChange::Kind::kRenamed: {
          const std::string to = backing_ + it->to;
          rename(to.c_str(), path.c_str());
          if (!it->trash.empty()) rename(it->trash.c_str(), to.c_str());
          break;
        }
      }
    }
    lost_entries_ = pending_.size();
    pending_.clear();
    dead_ = true;
    fprintf(stderr, "faultfs: power cut; %zu directory changes dropped\n",
            lost_entries_);
  }

  // Runs a command written to the control file.
  int Control(absl::string_view command) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    command = absl::StripAsciiWhitespace(command);
    if (command == "power-cut") {
      PowerCut();
      return 0;
    }
    if (absl::ConsumePrefix(&command, "quota ")) {
      int64_t quota = 0;
      if (!absl::SimpleAtoi(command, &quota) || quota < 0) return -EINVAL;
      quota_ = quota;
      return 0;
    }
    return -EINVAL;
  }

  std::string Status() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return absl::StrCat("used_bytes ", used_, "\nquota_bytes ", quota_,
                        "\ndirty_files ", dirty_.size(), "\npending_entries ",
                        pending_.size(), "\nsyncs ", syncs_, "\ndead ",
                        dead_ ? 1 : 0, "\n");
  }

  void StatFs(struct statvfs* st) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (quota_ <= 0 || st->f_frsize == 0) return;
    st->f_blocks = quota_ / st->f_frsize;
    const int64_t left = std::max<int64_t>(0, quota_ - used_);
    st->f_bfree = st->f_bavail = left / st->f_frsize;
  }

 private:
  const std::string backing_;
  const std::string trash_;
  int64_t quota_ ABSL_GUARDED_BY(mu);
  int64_t used_ ABSL_GUARDED_BY(mu) = 0;
  bool dead_ ABSL_GUARDED_BY(mu) = false;
  std::map<std::pair<dev_t, ino_t>, DirtyFile> dirty_ ABSL_GUARDED_BY(mu);
  std::vector<EntryChange> pending_ ABSL_GUARDED_BY(mu);
  uint64_t trash_sequence_ ABSL_GUARDED_BY(mu) = 0;
  uint64_t syncs_ ABSL_GUARDED_BY(mu) = 0;
  size_t lost_entries_ ABSL_GUARDED_BY(mu) = 0;
};

FaultFs* Fs() {
  return static_cast<FaultFs*>(fuse_get_context()->private_data);
}

bool IsControl(const char* path) { return strcmp(path, kControlPath) == 0; }

// Holds the lock for one operation, which fails with EIO after a power cut.
#define FAULTFS_LOCK(fs)         \
  absl::MutexLock lock(&fs->mu); \
  if (fs->dead()) return -EIO

void* Init(fuse_conn_info*, fuse_config* config) {
  // Unlinking an open file must unlink it, not hide it under another name.
  config->hard_remove = 1;
  config->use_ino = 1;
  return fuse_get_context()->private_data;
}

int GetAttr(const char* path, struct stat* st, fuse_file_info* fi) {
  FaultFs* fs = Fs();
  absl::MutexLock lock(&fs->mu);
  if (IsControl(path)) {
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFREG | 0600;
    st->st_nlink = 1;
    return 0;
  }
  if (fs->dead()) return -EIO;
  const int rc =
      fi != nullptr ? fstat(fi->fh, st) : lstat(fs->Backing(path).c_str(), st);
  return rc == 0 ? 0 : -errno;
}

int ReadDir(const char* path, void* buf, fuse_fill_dir_t filler, off_t,
            fuse_file_info*, fuse_readdir_flags) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  DIR* dir = opendir(fs->Backing(path).c_str());
  if (dir == nullptr) return -errno;
  while (dirent* entry = readdir(dir)) {
    if (filler(buf, entry->d_name, nullptr, 0, fuse_fill_dir_flags{}) != 0) {
      break;
    }
  }
  closedir(dir);
  return 0;
}

int MkDir(const char* path, mode_t mode) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  if (mkdir(fs->Backing(path).c_str(), mode) != 0) return -errno;
  fs->Record(EntryChange::Of(EntryChange::Kind::kMadeDir, path, "", "",
                             {Parent(path)}));
  return 0;
}

int Unlink(const char* path) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  if (IsControl(path)) return -EPERM;
  const std::string backing = fs->Backing(path);
  struct stat st;
  if (lstat(backing.c_str(), &st) != 0) return -errno;
  if (S_ISDIR(st.st_mode)) return -EISDIR;
  const std::string trash = fs->NewTrashPath();
  if (rename(backing.c_str(), trash.c_str()) != 0) return -errno;
  if (S_ISREG(st.st_mode) && st.st_nlink == 1) fs->Release(st.st_size);
  fs->Record(EntryChange::Of(EntryChange::Kind::kUnlinked, path, "", trash,
                             {Parent(path)}));
  return 0;
}

int RmDir(const char* path) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  if (rmdir(fs->Backing(path).c_str()) != 0) return -errno;
  fs->Record(EntryChange::Of(EntryChange::Kind::kRemovedDir, path, "", "",
                             {Parent(path)}));
  return 0;
}

int Rename(const char* from, const char* to, unsigned int flags) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  if (flags & ~RENAME_NOREPLACE) return -EINVAL;
  if (IsControl(from) || IsControl(to)) return -EPERM;
  const std::string source = fs->Backing(from);
  const std::string target = fs->Backing(to);
  struct stat st;
  if (lstat(source.c_str(), &st) != 0) return -errno;
  std::string trash;
  struct stat replaced;
  if (lstat(target.c_str(), &replaced) == 0) {
    if (flags & RENAME_NOREPLACE) return -EEXIST;
    trash = fs->NewTrashPath();
    if (rename(target.c_str(), trash.c_str()) != 0) return -errno;
    if (S_ISREG(replaced.st_mode) && replaced.st_nlink == 1) {
      fs->Release(replaced.st_size);
    }
  }
  if (rename(source.c_str(), target.c_str()) != 0) {
    const int error = errno;
    if (!trash.empty()) rename(trash.c_str(), target.c_str());
    return -error;
  }
  fs->Record(EntryChange::Of(EntryChange::Kind::kRenamed, from, to, trash,
                             {Parent(from), Parent(to)}));
  return 0;
}

int Link(const char* from, const char* to) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  if (link(fs->Backing(from).c_str(), fs->Backing(to).c_str()) != 0) {
    return -errno;
  }
  fs->Record(
      EntryChange::Of(EntryChange::Kind::kCreated, to, "", "", {Parent(to)}));
  return 0;
}

int Chmod(const char* path, mode_t mode, fuse_file_info*) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  return chmod(fs->Backing(path).c_str(), mode) == 0 ? 0 : -errno;
}

int Utimens(const char* path, const timespec times[2], fuse_file_info*) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  return utimensat(AT_FDCWD, fs->Backing(path).c_str(), times,
                   AT_SYMLINK_NOFOLLOW) == 0
             ? 0
             : -errno;
}

// Changes the size of the open file `fd` to `size`, with undo and quota.
int Resize(FaultFs* fs, int fd, int64_t size)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(fs->mu) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  if (int rc = fs->Reserve(size - st.st_size); rc != 0) return rc;
  if (int rc = fs->BeforeChange(fd, size, st.st_size); rc != 0) return rc;
  if (ftruncate(fd, size) != 0) {
    fs->Release(size - st.st_size);
    return -errno;
  }
  return 0;
}

int Truncate(const char* path, off_t size, fuse_file_info* fi) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  if (IsControl(path)) return 0;
  if (fi != nullptr) return Resize(fs, fi->fh, size);
  const int fd = open(fs->Backing(path).c_str(), O_RDWR);
  if (fd < 0) return -errno;
  const int rc = Resize(fs, fd, size);
  close(fd);
  return rc;
}

// Files are opened read-write whatever the caller asked: undo needs to read
// what a write replaces. O_APPEND is left to the kernel, which sends offsets.
int OpenFlags(int flags) {
  return (flags & ~(O_ACCMODE | O_APPEND | O_TRUNC | O_CREAT | O_EXCL)) |
         O_RDWR;
}

int Open(const char* path, fuse_file_info* fi) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  if (IsControl(path)) {
    fi->direct_io = 1;
    fi->fh = static_cast<uint64_t>(-1);
    return 0;
  }
  const int fd = open(fs->Backing(path).c_str(), OpenFlags(fi->flags));
  if (fd < 0) return -errno;
  if (fi->flags & O_TRUNC) {
    if (int rc = Resize(fs, fd, 0); rc != 0) {
      close(fd);
      return rc;
    }
  }
  fi->fh = fd;
  return 0;
}

int Create(const char* path, mode_t mode, fuse_file_info* fi) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  if (IsControl(path)) return -EPERM;
  const std::string backing = fs->Backing(path);
  struct stat st;
  const bool existed = lstat(backing.c_str(), &st) == 0;
  if (existed && (fi->flags & O_EXCL)) return -EEXIST;
  const int fd = open(backing.c_str(), OpenFlags(fi->flags) | O_CREAT, mode);
  if (fd < 0) return -errno;
  if (!existed) {
    fs->Record(EntryChange::Of(EntryChange::Kind::kCreated, path, "", "",
                               {Parent(path)}));
  } else if (fi->flags & O_TRUNC) {
    if (int rc = Resize(fs, fd, 0); rc != 0) {
      close(fd);
      return rc;
    }
  }
  fi->fh = fd;
  return 0;
}

int Read(const char* path, char* buf, size_t size, off_t offset,
         fuse_file_info* fi) {
  FaultFs* fs = Fs();
  absl::MutexLock lock(&fs->mu);
  if (IsControl(path)) {
    const std::string status = fs->Status();
    if (offset >= static_cast<off_t>(status.size())) return 0;
    const size_t n = std::min(size, status.size() - offset);
    memcpy(buf, status.data() + offset, n);
    return static_cast<int>(n);
  }
  if (fs->dead()) return -EIO;
  const ssize_t n = pread(fi->fh, buf, size, offset);
  return n >= 0 ? static_cast<int>(n) : -errno;
}

int Write(const char* path, const char* buf, size_t size, off_t offset,
          fuse_file_info* fi) {
  FaultFs* fs = Fs();
  absl::MutexLock lock(&fs->mu);
  if (IsControl(path)) {
    const int rc = fs->Control(absl::string_view(buf, size));
    return rc == 0 ? static_cast<int>(size) : rc;
  }
  if (fs->dead()) return -EIO;
  struct stat st;
  if (fstat(fi->fh, &st) != 0) return -errno;
  const int64_t end = offset + static_cast<int64_t>(size);
  const int64_t growth = std::max<int64_t>(0, end - st.st_size);
  if (int rc = fs->Reserve(growth); rc != 0) return rc;
  if (int rc = fs->BeforeChange(fi->fh, offset, end); rc != 0) {
    fs->Release(growth);
    return rc;
  }
  const ssize_t n = pwrite(fi->fh, buf, size, offset);
  if (n < 0) {
    fs->Release(growth);
    return -errno;
  }
  return static_cast<int>(n);
}

int StatFs(const char* path, struct statvfs* st) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  if (statvfs(fs->Backing("/").c_str(), st) != 0) return -errno;
  fs->StatFs(st);
  return 0;
}

int Release(const char*, fuse_file_info* fi) {
  if (fi->fh != static_cast<uint64_t>(-1)) close(fi->fh);
  return 0;
}

int FSync(const char* path, int, fuse_file_info* fi) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  if (IsControl(path)) return 0;
  return fs->SyncFile(fi->fh);
}

int FSyncDir(const char* path, int, fuse_file_info*) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  fs->SyncDir(path);
  return 0;
}

int FAllocate(const char*, int mode, off_t offset, off_t length,
              fuse_file_info* fi) {
  FaultFs* fs = Fs();
  FAULTFS_LOCK(fs);
  if (mode & ~FALLOC_FL_KEEP_SIZE) return -EOPNOTSUPP;
  struct stat st;
  if (fstat(fi->fh, &st) != 0) return -errno;
  const int64_t end = offset + length;
  const int64_t growth =
      (mode & FALLOC_FL_KEEP_SIZE) ? 0 : std::max<int64_t>(0, end - st.st_size);
  if (int rc = fs->Reserve(growth); rc != 0) return rc;
  // Marks the file changed, so a power cut restores its synced size.
  if (int rc = fs->BeforeChange(fi->fh, st.st_size, st.st_size); rc != 0) {
    fs->Release(growth);
    return rc;
  }
  if (fallocate(fi->fh, mode, offset, length) != 0) {
    fs->Release(growth);
    return -errno;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: %s BACKING_DIR MOUNTPOINT [--quota_bytes=N]\n"
            "  --quota_bytes: total file bytes before writes fail with "
            "ENOSPC (default 0: no quota)\n",
            argv[0]);
    return 1;
  }
  int64_t quota = 0;
  for (int i = 3; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!absl::ConsumePrefix(&arg, "--quota_bytes=") ||
        !absl::SimpleAtoi(arg, &quota) || quota < 0) {
      fprintf(stderr, "faultfs: bad argument %s\n", argv[i]);
      return 1;
    }
  }
  const std::string backing = std::filesystem::absolute(argv[1]).string();
  FaultFs fs(backing, quota);

  fuse_operations ops = {};
  ops.init = Init;
  ops.getattr = GetAttr;
  ops.readdir = ReadDir;
  ops.mkdir = MkDir;
  ops.unlink = Unlink;
  ops.rmdir = RmDir;
  ops.rename = Rename;
  ops.link = Link;
  ops.chmod = Chmod;
  ops.utimens = Utimens;
  ops.truncate = Truncate;
  ops.open = Open;
  ops.create = Create;
  ops.read = Read;
  ops.write = Write;
  ops.statfs = StatFs;
  ops.release = Release;
  ops.fsync = FSync;
  ops.fsyncdir = FSyncDir;
  ops.fallocate = FAllocate;

  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  fuse_opt_add_arg(&args, argv[0]);
  // auto_unmount: the mount goes away even if this process is killed.
  fuse_opt_add_arg(&args, "-o");
  fuse_opt_add_arg(&args, "fsname=faultfs,auto_unmount");
  fuse* fuse = fuse_new(&args, &ops, sizeof(ops), &fs);
  if (fuse == nullptr) {
    fprintf(stderr, "faultfs: fuse_new failed\n");
    return 2;
  }
  if (fuse_mount(fuse, argv[2]) != 0) {
    fprintf(stderr, "faultfs: cannot mount %s (is /dev/fuse usable here?)\n",
            argv[2]);
    fuse_destroy(fuse);
    return 2;
  }
  fuse_session* session = fuse_get_session(fuse);
  fuse_set_signal_handlers(session);
  printf("faultfs mounted at %s\n", argv[2]);
  fflush(stdout);
  fuse_loop_config* config = fuse_loop_cfg_create();
  const int rc = fuse_loop_mt(fuse, config);
  fuse_loop_cfg_destroy(config);
  fuse_remove_signal_handlers(session);
  fuse_unmount(fuse);
  fuse_destroy(fuse);
  fuse_opt_free_args(&args);
  // A signal ends the loop with that signal's number: a clean unmount.
  return rc < 0 ? 1 : 0;
}
