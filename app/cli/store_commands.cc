// Store commands: init, passphrase, recover, rekey, verify, info.
#include <fmt/format.h>

#include "berth/schema/settings.h"
#include "cli.h"

namespace berth::cli {

namespace {

Status Init(const Globals& g) {
  BERTH_ASSIGN_OR_RETURN(Secret passphrase,
                         ReadNewPassphrase(g.passphrase_file, "BERTH_PASSPHRASE", "passphrase"));
  Secret recovery;
  StoreOptions options;
  options.actor = g.actor;
  BERTH_ASSIGN_OR_RETURN(auto store, Store::Create(g.store_dir, passphrase, &recovery, options));
  BERTH_RETURN_IF_ERROR(store->AppendAudit("init", "store", store->device_id(), "store created"));
  Print(
      fmt::format("Created an encrypted Berth store in {}\n\n"
                  "Recovery key (shown once; keep it somewhere safe and away from this laptop):\n\n    {}\n\n"
                  "With it, `berth recover` sets a new passphrase if this one is forgotten.\n",
                  g.store_dir, recovery.view()));
  return Status::Ok();
}

Status ChangePassphrase(const Globals& g, const std::string& new_file) {
  BERTH_ASSIGN_OR_RETURN(Secret old_passphrase, ReadPassphrase(g));
  BERTH_ASSIGN_OR_RETURN(Secret new_passphrase,
                         ReadNewPassphrase(new_file, "BERTH_NEW_PASSPHRASE", "new passphrase"));
  BERTH_RETURN_IF_ERROR(Store::ChangePassphrase(g.store_dir, old_passphrase, new_passphrase));
  BERTH_ASSIGN_OR_RETURN(auto store, Store::Open(g.store_dir, new_passphrase));
  BERTH_RETURN_IF_ERROR(store->AppendAudit("passphrase", "store", store->device_id(), "passphrase changed"));
  Print("Passphrase changed. The old passphrase no longer opens this store.\n");
  return Status::Ok();
}

Status RecoverStore(const Globals& g, const std::string& key_file, const std::string& new_file) {
  BERTH_ASSIGN_OR_RETURN(Secret recovery, ReadSecret(key_file, "BERTH_RECOVERY_KEY", "recovery key"));
  BERTH_ASSIGN_OR_RETURN(Secret new_passphrase,
                         ReadNewPassphrase(new_file, "BERTH_NEW_PASSPHRASE", "new passphrase"));
  BERTH_RETURN_IF_ERROR(Store::Recover(g.store_dir, recovery, new_passphrase));
  BERTH_ASSIGN_OR_RETURN(auto store, Store::Open(g.store_dir, new_passphrase));
  BERTH_RETURN_IF_ERROR(
      store->AppendAudit("recover", "store", store->device_id(), "passphrase reset with recovery key"));
  Print("New passphrase set with the recovery key.\n");
  return Status::Ok();
}

Status Rekey(const Globals& g) {
  BERTH_ASSIGN_OR_RETURN(Secret passphrase, ReadPassphrase(g));
  BERTH_ASSIGN_OR_RETURN(auto store, Store::Open(g.store_dir, passphrase));
  Secret recovery;
  BERTH_RETURN_IF_ERROR(store->Rekey(passphrase, &recovery));
  Print(
      fmt::format("Every page is now sealed under a new data key.\n\n"
                  "New recovery key (shown once; the old one no longer works):\n\n    {}\n",
                  recovery.view()));
  return Status::Ok();
}

Status Verify(const Globals& g) {
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(VerifyReport report, store->Verify());
  if (!report.problems.empty()) {
    std::string all;
    for (const auto& p : report.problems) all += "\n  " + p;
    return IntegrityError("the store failed verification:" + all);
  }
  Print(fmt::format("ok: {} pages authenticated, SQLite integrity check passed, {} audit entries chained\n",
                    report.pages_checked, report.audit_entries_checked));
  return Status::Ok();
}

Status Info(const Globals& g) {
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  Print(fmt::format("store: {}\ndevice: {}\nschema version: {}\nencrypted: {}\n", store->dir(),
                    store->device_id(), store->schema_version(), store->encrypted() ? "yes" : "no"));
  return Status::Ok();
}

// Every setting of the schema (berth/schema/settings.h) with the value in force, what may be set, and
// whether it stays on this device.
Status SettingsList(const Globals& g) {
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  std::string out;
  for (const SettingSpec& spec : SettingSchema()) {
    BERTH_ASSIGN_OR_RETURN(std::string value, SettingValue(*store, spec.key));
    out += fmt::format("{} = {}{}\n", spec.key, value, spec.syncs ? "" : "  (this device only)");
  }
  Print(out);
  return Status::Ok();
}

Status SettingsGet(const Globals& g, const std::string& key) {
  if (FindSetting(key) == nullptr) return BadInput("'" + key.substr(0, 60) + "' is not a Berth setting");
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(std::string value, SettingValue(*store, key));
  Print(value + "\n");
  return Status::Ok();
}

// Checked against the schema before the store is even opened: an unknown key or a value out of range
// changes nothing.
Status SettingsSet(const Globals& g, const std::string& key, const std::string& value) {
  BERTH_RETURN_IF_ERROR(ValidateSetting(key, value));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  return store->SetSetting(key, value);
}

}  // namespace

void RegisterStoreCommands(Registry& r) {
  Globals& g = r.globals;
  Handler& selected = r.selected;
  r.app.add_subcommand("init", "create a new encrypted store and print its recovery key once")->callback([&] {
    selected = [&] { return Init(g); };
  });

  auto* pass = r.app.add_subcommand("passphrase",
                                    "change the passphrase (the data key is rewrapped, pages untouched)");
  static std::string new_file_storage;  // CLI11 binds options by reference
  auto* new_file = &new_file_storage;
  pass->add_option("--new-passphrase-file", *new_file,
                   "read the new passphrase from this file (else $BERTH_NEW_PASSPHRASE)");
  pass->callback([&, new_file] { selected = [&, new_file] { return ChangePassphrase(g, *new_file); }; });

  auto* recover = r.app.add_subcommand("recover", "set a new passphrase using the recovery key");
  static std::string key_file_storage, recover_new_storage;
  auto* key_file = &key_file_storage;
  auto* recover_new = &recover_new_storage;
  recover->add_option("--recovery-key-file", *key_file,
                      "read the recovery key from this file (else $BERTH_RECOVERY_KEY)");
  recover->add_option("--new-passphrase-file", *recover_new, "read the new passphrase from this file");
  recover->callback([&, key_file, recover_new] {
    selected = [&, key_file, recover_new] { return RecoverStore(g, *key_file, *recover_new); };
  });

  r.app
      .add_subcommand("rekey", "seal every page under a new data key (crash-safe); issues a new recovery key")
      ->callback([&] { selected = [&] { return Rekey(g); }; });
  r.app
      .add_subcommand("verify",
                      "check every page's tag, SQLite's integrity and the audit chain (exit 4 on failure)")
      ->callback([&] { selected = [&] { return Verify(g); }; });
  r.app.add_subcommand("info", "show the store's location, device id and schema version")->callback([&] {
    selected = [&] { return Info(g); };
  });

  auto* settings = r.app.add_subcommand("settings", "list, read or change settings stored in the store");
  settings->require_subcommand(1);
  settings->add_subcommand("list", "every setting and its value")->callback([&] {
    selected = [&] { return SettingsList(g); };
  });
  static std::string key, value;
  auto* get = settings->add_subcommand("get", "one setting's value");
  get->add_option("KEY", key)->required();
  get->callback([&] { selected = [&] { return SettingsGet(g, key); }; });
  auto* set = settings->add_subcommand(
      "set", "change a setting within its range (audited; council-wide ones sync, preferences stay here)");
  set->add_option("KEY", key)->required();
  set->add_option("VALUE", value)->required();
  set->callback([&] { selected = [&] { return SettingsSet(g, key, value); }; });
}

}  // namespace berth::cli
