// Passphrase change, recovery with the recovery key, and rekey (store.h; FORMAT.md "Key hierarchy" and
// "Rekey"): the key file rewritten safely, the database re-encrypted under a new key.

#include "berth/schema/store.h"

#include "berth/schema/store.h"

#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "berth/schema/binary_encoding.h"
#include "berth/schema/crypt_vfs.h"
#include "berth/schema/settings.h"
#include "keyfile.h"
#include "migrations.h"
#include "store_impl.h"

namespace berth {
namespace fs = std::filesystem;
using namespace store_internal;

// ---- passphrase, recovery, rekey
// ---------------------------------------------------------------------------

Status Store::ChangePassphrase(const std::string& dir, const Secret& old_passphrase,
                               const Secret& new_passphrase, const KdfParams& kdf, Env* env_in) {
  if (!Exists(dir)) return NotFound("no Berth store in " + dir);
  Env& env = env_in != nullptr ? *env_in : *Env::Default();
  BERTH_RETURN_IF_ERROR(RecoverInterruptedRekey(env, dir));
  BERTH_ASSIGN_OR_RETURN(KeyFile kf, ReadKeyFile(env, Join(dir, kKeyFile)));
  // A store below the floor may still change its passphrase: that is how it is strengthened.
  BERTH_RETURN_IF_ERROR(kf.kdf.CheckAccepted(/*allow_below_floor=*/true));
  BERTH_ASSIGN_OR_RETURN(Secret data_key, UnwrapWithPassphrase(kf, old_passphrase));
  BERTH_RETURN_IF_ERROR(RewrapPassphrase(kf, data_key, new_passphrase, kdf));
  return WriteKeyFile(env, Join(dir, kKeyFile), kf);
}

Status Store::Recover(const std::string& dir, const Secret& recovery_key, const Secret& new_passphrase,
                      const KdfParams& kdf, Env* env_in) {
  if (!Exists(dir)) return NotFound("no Berth store in " + dir);
  Env& env = env_in != nullptr ? *env_in : *Env::Default();
  BERTH_RETURN_IF_ERROR(RecoverInterruptedRekey(env, dir));
  BERTH_ASSIGN_OR_RETURN(KeyFile kf, ReadKeyFile(env, Join(dir, kKeyFile)));
  BERTH_RETURN_IF_ERROR(kf.kdf.CheckAccepted(/*allow_below_floor=*/true));
  BERTH_ASSIGN_OR_RETURN(Secret data_key, UnwrapWithRecoveryKey(kf, recovery_key));
  BERTH_RETURN_IF_ERROR(RewrapPassphrase(kf, data_key, new_passphrase, kdf));
  return WriteKeyFile(env, Join(dir, kKeyFile), kf);
}

Status Store::Rekey(const Secret& passphrase, Secret* new_recovery_key) {
  if (locked()) return NotAuthorised("the store is locked");
  if (!encrypted_) return UsageError("a plain store has no key to change");
  Env& env = *impl_->env;
  BERTH_ASSIGN_OR_RETURN(KeyFile current, ReadKeyFile(env, Join(dir_, kKeyFile)));
  BERTH_ASSIGN_OR_RETURN(Secret check, UnwrapWithPassphrase(current, passphrase));
  (void)check;
  Db& db = impl_->db;
  // 1. Everything committed goes into the main file, and the WAL is emptied.
  BERTH_RETURN_IF_ERROR(impl_->Explain(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")));
  // 2. A complete copy under the new key, in a side file.
  Secret new_key = Secret::Random(32);
  const DbId new_id = RandomDbId();
  const std::string db_path = Join(dir_, kDatabaseFile);
  const std::string new_db_path = db_path + kRekeyDbSuffix;
  const std::string new_key_path = Join(dir_, kKeyFile) + kRekeyKeySuffix;
  BERTH_RETURN_IF_ERROR(env.RemoveFile(new_db_path));
  const std::string handle = RegisterKey(new_key, new_id);
  BERTH_ASSIGN_OR_RETURN(Statement vacuum, db.Prepare("VACUUM INTO ?"));
  vacuum.Bind(1, UriPath(new_db_path) + "?bk=" + handle);
  Status st = vacuum.Run();
  UnregisterKey(handle);
  if (!st.ok()) {
    (void)env.RemoveFile(new_db_path);
    return impl_->Explain(st).Context("rekey: copying the database");
  }
  // 3. Its key file, written beside the current one. Commit point 1: both side files exist.
  BERTH_ASSIGN_OR_RETURN(KeyFile next,
                         NewKeyFile(new_key, new_id, passphrase, current.kdf, new_recovery_key));
  BERTH_RETURN_IF_ERROR(WriteKeyFile(env, new_key_path, next));
  // 4. Swap the database (commit point 2: page 1 now carries the new id), then the key file.
  impl_->Close();
  for (const char* leftover : {"-wal", "-shm"}) BERTH_RETURN_IF_ERROR(env.RemoveFile(db_path + leftover));
  BERTH_RETURN_IF_ERROR(env.RenameFile(new_db_path, db_path));
  BERTH_RETURN_IF_ERROR(env.RenameFile(new_key_path, Join(dir_, kKeyFile)));
  // 5. Reopen under the new key.
  StoreOptions options;
  options.actor = actor_;
  options.base_vfs = impl_->base_vfs;
  options.env = &env;
  BERTH_ASSIGN_OR_RETURN(auto reopened, Open(dir_, passphrase, options));
  impl_ = std::move(reopened->impl_);
  return AppendAudit("rekey", "store", device_id_, "data key replaced");
}

}  // namespace berth
