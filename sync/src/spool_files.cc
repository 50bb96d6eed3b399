// The courier's files (spool_files.h): the spool of sealed boxes, its state, the courier key and the
// spool lock, used while the store is locked.

#include "spool_files.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "berth/schema/store.h"

namespace berth::sync::internal {

namespace fs = std::filesystem;

namespace {

constexpr int kStateFormat = 1;

std::string Hex(const Bytes& b) {
  std::string out(b.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), b.data(), b.size());
  out.pop_back();
  return out;
}

Result<Bytes> Unhex(const std::string& s) {
  Bytes out(s.size() / 2);
  size_t n = 0;
  if (sodium_hex2bin(out.data(), out.size(), s.data(), s.size(), nullptr, &n, nullptr) != 0 ||
      n != out.size()) {
    return BadInput("the spool's state file holds a malformed key");
  }
  return out;
}

// File names the state may name: nothing with a path in it.
bool PlainName(const std::string& name) {
  return !name.empty() && name.size() < 64 && name.find('/') == std::string::npos && name != "." &&
         name != "..";
}

}  // namespace

std::string SpoolDir(const std::string& store_dir) {
  return store_dir + "/spool";
}

std::string SpoolPath(const std::string& store_dir, const std::string& file) {
  return SpoolDir(store_dir) + "/" + file;
}

Status EnsureSpoolDir(const std::string& store_dir) {
  std::error_code ec;
  fs::create_directories(SpoolDir(store_dir), ec);
  if (ec) return IoError("cannot create " + SpoolDir(store_dir) + ": " + ec.message());
  fs::permissions(SpoolDir(store_dir), fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return IoError("cannot restrict " + SpoolDir(store_dir) + ": " + ec.message());
  return Status::Ok();
}

int64_t SpoolState::out_entries() const {
  int64_t n = 0;
  for (const auto& b : out) n += b.entries;
  return n;
}

Result<SpoolState> ReadSpoolState(Env& env, const std::string& store_dir) {
  BERTH_ASSIGN_OR_RETURN(std::string text, env.ReadFile(SpoolPath(store_dir, "state")));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("format", 0) != kStateFormat) {
    return BadInput("the spool's state file is not one this Berth can read");
  }
  SpoolState s;
  try {
    s.device_id = j.at("device_id").get<std::string>();
    s.hub_url = j.at("hub_url").get<std::string>();
    BERTH_ASSIGN_OR_RETURN(s.hub_sign_pk, Unhex(j.at("hub_sign_pk").get<std::string>()));
    BERTH_ASSIGN_OR_RETURN(s.hub_kx_pk, Unhex(j.at("hub_kx_pk").get<std::string>()));
    s.counter = j.at("counter").get<uint64_t>();
    s.cursor = j.at("cursor").get<uint64_t>();
    s.spooled_through = j.at("spooled_through").get<uint64_t>();
    s.next_in = j.at("next_in").get<uint64_t>();
    s.snapshot_required = j.at("snapshot_required").get<bool>();
    s.last_run_ms = j.at("last_run_ms").get<int64_t>();
    s.last_result = j.at("last_result").get<std::string>();
    for (const auto& o : j.at("out")) {
      SpoolOutBatch b;
      b.file = o.at("file").get<std::string>();
      b.after_seq = o.at("after_seq").get<uint64_t>();
      b.first_seq = o.at("first_seq").get<uint64_t>();
      b.last_seq = o.at("last_seq").get<uint64_t>();
      b.entries = o.at("entries").get<int64_t>();
      if (!PlainName(b.file)) return BadInput("the spool's state file names a file outside the spool");
      s.out.push_back(std::move(b));
    }
    for (const auto& i : j.at("in")) {
      SpoolInBox b;
      b.file = i.at("file").get<std::string>();
      b.page = i.at("kind").get<std::string>() == "page";
      b.first_seq = i.at("first_seq").get<uint64_t>();
      b.last_seq = i.at("last_seq").get<uint64_t>();
      b.from_cursor = i.at("from_cursor").get<uint64_t>();
      b.next_cursor = i.at("next_cursor").get<uint64_t>();
      if (!PlainName(b.file)) return BadInput("the spool's state file names a file outside the spool");
      s.in.push_back(std::move(b));
    }
  } catch (const std::exception&) {
    return BadInput("the spool's state file is incomplete or malformed");
  }
  return s;
}

Status WriteSpoolState(Env& env, const std::string& store_dir, const SpoolState& s) {
  nlohmann::json j;
  j["format"] = kStateFormat;
  j["device_id"] = s.device_id;
  j["hub_url"] = s.hub_url;
  j["hub_sign_pk"] = Hex(s.hub_sign_pk);
  j["hub_kx_pk"] = Hex(s.hub_kx_pk);
  j["counter"] = s.counter;
  j["cursor"] = s.cursor;
  j["spooled_through"] = s.spooled_through;
  j["next_in"] = s.next_in;
  j["snapshot_required"] = s.snapshot_required;
  j["last_run_ms"] = s.last_run_ms;
  j["last_result"] = s.last_result;
  j["out"] = nlohmann::json::array();
  for (const auto& b : s.out) {
    j["out"].push_back({{"file", b.file},
                        {"after_seq", b.after_seq},
                        {"first_seq", b.first_seq},
                        {"last_seq", b.last_seq},
                        {"entries", b.entries}});
  }
  j["in"] = nlohmann::json::array();
  for (const auto& b : s.in) {
    j["in"].push_back({{"file", b.file},
                       {"kind", b.page ? "page" : "answer"},
                       {"first_seq", b.first_seq},
                       {"last_seq", b.last_seq},
                       {"from_cursor", b.from_cursor},
                       {"next_cursor", b.next_cursor}});
  }
  return WriteFileAtomically(env, SpoolPath(store_dir, "state"), j.dump(1));
}

std::string CourierKeyPath(const std::string& store_dir) {
  return SpoolPath(store_dir, "courier.key");
}

Result<KeyPairs> ReadCourierKey(Env& env, const std::string& store_dir) {
  BERTH_ASSIGN_OR_RETURN(std::string text, env.ReadFile(CourierKeyPath(store_dir)));
  Bytes blob(text.begin(), text.end());
  auto keys = KeyPairs::FromSecretBlob(blob);
  sodium_memzero(blob.data(), blob.size());
  sodium_memzero(text.data(), text.size());
  return keys;
}

Status WriteCourierKey(Env& env, const std::string& store_dir, const KeyPairs& keys) {
  const Secret blob = keys.SecretBlob();
  return WriteFileAtomically(env, CourierKeyPath(store_dir), blob.view());
}

SpoolLock& SpoolLock::operator=(SpoolLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

SpoolLock::~SpoolLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the file releases its flock
}

Result<SpoolLock> SpoolLock::Try(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot open " + path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return ConflictError("another Berth process is using the sync spool");
  }
  SpoolLock lock;
  lock.fd_ = fd;
  return lock;
}

Result<SpoolLock> SpoolLock::Wait(Env& env, const std::string& path, const std::atomic<bool>* cancel) {
  while (true) {
    auto lock = Try(path);
    if (lock.ok() || lock.status().code() != Code::kConflict) return lock;
    if (cancel != nullptr && cancel->load()) return lock;
    env.SleepForMs(20);
  }
}

std::string SpoolLockPath(const std::string& store_dir) {
  return SpoolPath(store_dir, "lock");
}

std::string LiveLockPath(const std::string& store_dir) {
  return SpoolPath(store_dir, "live.lock");
}

bool LiveSideRunning(const std::string& store_dir) {
  if (!fs::exists(LiveLockPath(store_dir))) return false;
  auto probe = SpoolLock::Try(LiveLockPath(store_dir));
  return !probe.ok() && probe.status().code() == Code::kConflict;
}

Status WipeRevokedDevice(const std::string& store_dir, Env* env_in) {
  Env& env = env_in != nullptr ? *env_in : *Env::Default();
  Status st = Store::Wipe(store_dir, &env);
  if (st.ok()) st = env.OverwriteFile(CourierKeyPath(store_dir));
  std::error_code ec;
  if (st.ok()) fs::remove_all(SpoolDir(store_dir), ec);
  if (!st.ok() || ec) {
    return IoError("this device has been revoked by the hub administrator, but wiping it failed: " +
                   (st.ok() ? ec.message() : st.message()));
  }
  return NotAuthorised("this device has been revoked by the hub administrator; its store has been wiped");
}

}  // namespace berth::sync::internal
