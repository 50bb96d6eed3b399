// Sync commands: enroll with a hub, sync once now (unlocked, or locked with the courier), install the timer
// that syncs while locked, list the Conflicts inbox. See sync/PROTOCOL.md.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "berth/sync/client.h"
#include "berth/sync/spool.h"
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
  sync::LiveSyncMarker live(g.store_dir);  // a timer's courier leaves the spool to this sync meanwhile
  // First what the courier brought while the laptop was locked (PROTOCOL.md section 11).
  BERTH_ASSIGN_OR_RETURN(sync::SpoolApplySummary night, sync::ApplySpool(*store));
  if (night.boxes > 0) {
    Print(fmt::format("applied what arrived while locked: {} rows, {} changes settled, {} new conflicts\n",
                      night.rows, night.acknowledged, night.conflicts));
  }
  sync::SyncOptions options;
  options.hub_url = hub;
  options.rotate_courier = true;  // each unlock gets a new courier key
  auto synced = sync::SyncOnce(*store, options);
  if (!synced.ok() && synced.status().code() == Code::kNetwork && Store::Exists(g.store_dir)) {
    // Out of reach: what waits is sealed for the courier (`berth sync --locked`, or the timer).
    auto spooled = sync::SpoolOutbox(*store);
    if (spooled.ok() && spooled->entries > 0) {
      Print(fmt::format("the hub is out of reach: {} changes sealed for the courier (berth sync --locked)\n",
                        spooled->entries));
    }
  }
  BERTH_ASSIGN_OR_RETURN(sync::SyncSummary s, std::move(synced));
  Print(
      fmt::format("synced: pushed {} ({} applied, {} already seen, {} rejected), pulled {} rows in {} pages,"
                  " {} new conflicts{}\n",
                  s.pushed, s.applied, s.duplicates, s.rejected, s.pulled_rows, s.pull_pages, s.conflicts,
                  s.snapshot ? " (took a fresh snapshot)" : ""));
  if (s.conflicts > 0) Print("See them with `berth conflicts`.\n");
  return Status::Ok();
}

// No passphrase: only the spool and the courier key are used (PROTOCOL.md section 11).
Status SyncLocked(const Globals& g, const std::string& hub) {
  sync::CourierOptions options;
  options.hub_url = hub;
  BERTH_ASSIGN_OR_RETURN(sync::CourierSummary s, sync::RunCourier(g.store_dir, options));
  if (s.skipped_unlocked) {
    Print("Berth is unlocked on this laptop and syncs by itself: nothing to do\n");
    return Status::Ok();
  }
  Print(fmt::format(
      "carried {} sealed batches ({} changes) to the hub and brought back {} sealed pages; they are"
      " applied at the next unlock{}{}{}\n",
      s.uploaded, s.entries, s.pages,
      s.dropped > 0
          ? fmt::format(" ({} damaged batches dropped: an unlocked sync sends their changes)", s.dropped)
          : std::string(),
      s.out_of_order ? " (the hub awaits an earlier batch: an unlocked sync will send it)" : "",
      s.snapshot_required ? " (the hub asks for a full snapshot: an unlocked sync will take it)" : ""));
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
  static bool conflicts_json = false, sync_locked = false, install_timer = false, timer_no_enable = false;
  static int timer_minutes = 30;
  auto* enroll = r.app.add_subcommand("enroll", "enroll this device with the council's hub (one-time code)");
  enroll->add_option("--hub", enroll_hub, "the hub's URL, e.g. http://hub.example:8765")->required();
  enroll->add_option("--code", enroll_code, "the one-time code from the hub administrator")->required();
  enroll->callback([&] { selected = [&] { return EnrollDevice(g, enroll_hub, enroll_code); }; });
  auto* sync = r.app.add_subcommand("sync", "sync with the hub now: push local changes, pull others'");
  sync->add_option("--hub", sync_hub, "override the hub URL given at enrollment");
  sync->add_flag(
      "--locked", sync_locked,
      "sync while locked, with no passphrase: carry the sealed spool to the hub and bring its sealed"
      " answers back for the next unlock");
  sync->add_flag("--install-timer", install_timer,
                 "install a systemd user timer that runs `berth sync --locked` (overnight sync)");
  sync->add_option("--every", timer_minutes, "with --install-timer: minutes between runs (default 30)")
      ->check(CLI::Range(5, 720));
  sync->add_flag("--no-enable", timer_no_enable, "with --install-timer: write the unit files only");
  sync->callback([&] {
    selected = [&]() -> Status {
      if (install_timer) return InstallSyncTimer(g, timer_minutes, !timer_no_enable);
      if (sync_locked) return SyncLocked(g, sync_hub);
      return SyncNow(g, sync_hub);
    };
  });
  auto* conflicts = r.app.add_subcommand("conflicts", "list changes the hub rejected (the Conflicts inbox)");
  conflicts->add_flag("--json", conflicts_json, "machine-readable output");
  conflicts->callback([&] { selected = [&] { return Conflicts(g, conflicts_json); }; });
}

}  // namespace berth::cli
