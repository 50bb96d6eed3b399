// The key file (berth.key): the data key wrapped twice, by the passphrase (Argon2id) and by the recovery
// key. Private to berth_schema; its format is described in schema/FORMAT.md.
#pragma once

#include <string>

#include "berth/schema/crypt_vfs.h"
#include "berth/schema/env.h"
#include "berth/schema/secret.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth {

struct Wrap {
  std::string salt;        // hex
  std::string nonce;       // hex
  std::string ciphertext;  // hex, data key + tag
};

struct KeyFile {
  int version = 1;
  DbId db_id{};
  KdfParams kdf;
  Wrap passphrase;
  Wrap recovery;
};

// A fresh data key, wrapped by `passphrase` and by a new recovery key (returned through `recovery_key`,
// formatted for display).
Result<KeyFile> NewKeyFile(const Secret& data_key, const DbId& db_id, const Secret& passphrase,
                           const KdfParams& kdf, Secret* recovery_key);
Result<Secret> UnwrapWithPassphrase(const KeyFile& kf, const Secret& passphrase);
Result<Secret> UnwrapWithRecoveryKey(const KeyFile& kf, const Secret& recovery_key);
Status RewrapPassphrase(KeyFile& kf, const Secret& data_key, const Secret& passphrase, const KdfParams& kdf);

Result<KeyFile> ReadKeyFile(Env& env, const std::string& path);
// Atomic: written to a temporary file, synced, renamed over `path`, and the directory synced.
Status WriteKeyFile(Env& env, const std::string& path, const KeyFile& kf);

}  // namespace berth
