// Sync commands: enroll with a hub, sync once now, list the Conflicts inbox. See sync/PROTOCOL.md.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "berth/sync/client.h"
#include "cli.h"

namespace berth::cli {

namespace {

Status EnrollDevice(const Globals& g, const std::string& hub, const std::string& code) {
  if (hub.empty() || code.empty()) return UsageError("enroll needs --hub URL and --code CODE");
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(sync::EnrollResult r, sync::Enroll(*store, hub, code));
  Print(
      fmt::format("enrolled: device {} as {} '{}' (scope {})\nhub key fingerprint: {}\n"
                  "Check the fingerprint matches the one the hub administrator was shown.\n",
                  r.device_id, r.role, r.name, r.scope, r.hub_fingerprint));
  return Status::Ok();
}

Status SyncNow(const Globals& g, const std::string& hub) {
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  sync::SyncOptions options;
  options.hub_url = hub;
  BERTH_ASSIGN_OR_RETURN(sync::SyncSummary s, sync::SyncOnce(*store, options));
  Print(
      fmt::format("synced: pushed {} ({} applied, {} already seen, {} rejected), pulled {} rows in {} pages,"
                  " {} new conflicts{}\n",
                  s.pushed, s.applied, s.duplicates, s.rejected, s.pulled_rows, s.pull_pages, s.conflicts,
                  s.snapshot ? " (took a fresh snapshot)" : ""));
  if (s.conflicts > 0) Print("See them with `berth conflicts`.\n");
  return Status::Ok();
}

Status Conflicts(const Globals& g, bool json) {
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(auto list, sync::ListConflicts(*store));
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : list) {
      out.push_back({{"id", c.id},
                     {"created_ms", c.created_ms},
                     {"mutation_id", c.mutation_id},
                     {"claim", c.claim},
                     {"entity", c.entity},
                     {"row_id", c.row_id},
                     {"reason_code", c.reason_code},
                     {"reason", c.reason},
                     {"referral_id", c.referral_id},
                     {"bed_id", c.bed_id},
                     {"capacity_id", c.capacity_id},
                     {"resolved", c.resolved},
                     {"hub_state", nlohmann::json::parse(c.authoritative_json, nullptr, false)}});
    }
    Print(out.dump(2) + "\n");
    return Status::Ok();
  }
  if (list.empty()) {
    Print("no conflicts\n");
    return Status::Ok();
  }
  for (const auto& c : list) {
    Print(fmt::format("#{} {} {} {}: {} ({}){}{}\n", c.id, c.claim.empty() ? "change" : c.claim, c.entity,
                      c.row_id, c.reason_code, c.reason,
                      c.referral_id.empty() ? "" : " referral " + c.referral_id,
                      c.bed_id.empty() ? "" : " bed " + c.bed_id));
  }
  return Status::Ok();
}

}  // namespace

void RegisterSyncCommands(Registry& r) {
  Globals& g = r.globals;
  Handler& selected = r.selected;
  static std::string enroll_hub, enroll_code, sync_hub;  // CLI11 binds options by reference
  static bool conflicts_json = false;
  auto* enroll = r.app.add_subcommand("enroll", "enroll this device with the council's hub (one-time code)");
  enroll->add_option("--hub", enroll_hub, "the hub's URL, e.g. http://hub.example:8765")->required();
  enroll->add_option("--code", enroll_code, "the one-time code from the hub administrator")->required();
  enroll->callback([&] { selected = [&] { return EnrollDevice(g, enroll_hub, enroll_code); }; });
  auto* sync = r.app.add_subcommand("sync", "sync with the hub now: push local changes, pull others'");
  sync->add_option("--hub", sync_hub, "override the hub URL given at enrollment");
  sync->callback([&] { selected = [&] { return SyncNow(g, sync_hub); }; });
  auto* conflicts = r.app.add_subcommand("conflicts", "list changes the hub rejected (the Conflicts inbox)");
  conflicts->add_flag("--json", conflicts_json, "machine-readable output");
  conflicts->callback([&] { selected = [&] { return Conflicts(g, conflicts_json); }; });
}

}  // namespace berth::cli
