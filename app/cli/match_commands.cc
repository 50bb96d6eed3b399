// Matching commands: match, plan, weights, and the referral workflow (hold, release, offer, accept, decline,
// confirm, handback, expire). The logic is in berth_core (match.h, plan.h, workflow.h); these parse,
// open the store and print.
#include <fmt/format.h>

#include "berth/core/case_log.h"
#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/plan.h"
#include "berth/core/scoring.h"
#include "berth/core/short_ids.h"
#include "berth/core/supply_index.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"
#include "cli.h"

namespace berth::cli {

Result<MatchingStore> OpenMatchingStore(const Globals& g) {
  MatchingStore s;
  BERTH_ASSIGN_OR_RETURN(s.store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(s.settings, core::LoadMatchSettings(*s.store));
  BERTH_ASSIGN_OR_RETURN(s.geo, core::DefaultGeography());
  BERTH_ASSIGN_OR_RETURN(core::SupplyIndex ix, core::SupplyIndex::Build(s.store->db(), s.geo));
  s.index = std::move(ix);
  return s;
}

core::MatchContext ContextFor(MatchingStore& s, const std::string& today) {
  core::MatchContext ctx = core::ContextNow(*s.index, s.settings, s.geo);
  if (!today.empty()) {
    ctx.today = today;
    ctx.now_iso = today + "T09:00:00Z";
  }
  return ctx;
}

namespace {

using core::MatchContext;

// A referral by its id, its short form or a prefix (berth/core/short_ids.h).
Result<std::string> ResolveReferral(Store& store, const std::string& text) {
  return core::ResolveId(store.db(), "referral", "referral", text);
}

Status CheckToday(const std::string& today) {
  if (!today.empty() && !IsIsoDate(today)) return BadInput("--today must be YYYY-MM-DD");
  return Status::Ok();
}

Status MatchCommand(const Globals& g, const std::string& id, bool json, size_t limit,
                    const std::string& today) {
  BERTH_RETURN_IF_ERROR(CheckToday(today));
  BERTH_ASSIGN_OR_RETURN(MatchingStore s, OpenMatchingStore(g));
  BERTH_ASSIGN_OR_RETURN(std::string rid, ResolveReferral(*s.store, id));
  BERTH_ASSIGN_OR_RETURN(Referral r, LoadReferral(s.store->db(), rid));
  BERTH_RETURN_IF_ERROR(s.store->AuditView("referral", r.id));
  const MatchContext ctx = ContextFor(s, today);
  const core::MatchResult m = core::Match(ctx, r);
  Print(json ? core::MatchJson(ctx, m, limit).dump(2) + "\n" : core::MatchText(ctx, m, limit));
  return Status::Ok();
}

Status PlanCommand(const Globals& g, bool json, bool greedy, const std::string& today) {
  BERTH_RETURN_IF_ERROR(CheckToday(today));
  BERTH_ASSIGN_OR_RETURN(MatchingStore s, OpenMatchingStore(g));
  const MatchContext ctx = ContextFor(s, today);
  BERTH_ASSIGN_OR_RETURN(std::vector<Referral> queue, core::LoadOpenQueue(s.store->db(), ctx.today));
  core::PlanOptions options;
  options.greedy_only = greedy;
  const core::Plan plan = core::MakePlan(ctx, queue, options);
  BERTH_RETURN_IF_ERROR(s.store->AppendAudit(
      "plan", "referral", "*", fmt::format("huddle plan over {} open referrals", queue.size())));
  Print(json ? core::PlanJson(ctx, plan).dump(2) + "\n" : core::PlanText(ctx, plan));
  return Status::Ok();
}

Status WeightsShow(const Globals& g, bool json) {
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(core::MatchSettings s, core::LoadMatchSettings(*store));
  if (json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& i : core::DescribeSettings(s)) {
      j.push_back({{"name", i.name},
                   {"key", i.key},
                   {"value", i.value},
                   {"default", i.default_value},
                   {"meaning", i.meaning}});
    }
    Print(j.dump(2) + "\n");
    return Status::Ok();
  }
  std::string out;
  for (const auto& i : core::DescribeSettings(s)) {
    out += fmt::format(
        "{:<30} {:>10}{}  {}\n", i.name, i.value,
        i.value == i.default_value ? std::string("          ") : fmt::format(" (def {})", i.default_value),
        i.meaning);
  }
  Print(out);
  return Status::Ok();
}

Status WeightsSet(const Globals& g, const std::string& name, const std::string& value) {
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_RETURN_IF_ERROR(core::SetMatchSetting(*store, name, value));
  Print(fmt::format("{} = {}\n", name, value));
  return Status::Ok();
}

Result<core::WorkflowTime> TimeFor(const std::string& at) {
  if (at.empty()) return core::WorkflowTime::Now();
  return core::WorkflowTime::At(at);
}

Status Hold(const Globals& g, const std::string& ref, const std::string& bed, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(core::MatchSettings s, core::LoadMatchSettings(*store));
  BERTH_ASSIGN_OR_RETURN(std::string rid, ResolveReferral(*store, ref));
  BERTH_ASSIGN_OR_RETURN(core::HoldResult h, core::HoldBed(*store, s, rid, bed, t));
  Print(fmt::format("bed {} held for referral {} until {}\n", bed, rid, h.held_until));
  return Status::Ok();
}

Status Release(const Globals& g, const std::string& bed, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_RETURN_IF_ERROR(core::ReleaseBed(*store, bed, t));
  Print(fmt::format("bed {} released\n", bed));
  return Status::Ok();
}

Status OfferCmd(const Globals& g, const std::string& ref, const std::vector<std::string>& providers,
                const std::string& at, bool json) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(core::MatchSettings s, core::LoadMatchSettings(*store));
  BERTH_ASSIGN_OR_RETURN(const core::Geography* geo, core::DefaultGeography());
  BERTH_ASSIGN_OR_RETURN(std::string rid, ResolveReferral(*store, ref));
  std::vector<core::OfferTarget> targets;
  for (const auto& p : providers) {
    // PROVIDER or PROVIDER:BED
    const auto colon = p.find(':');
    targets.push_back({p.substr(0, colon), colon == std::string::npos ? "" : p.substr(colon + 1)});
  }
  BERTH_ASSIGN_OR_RETURN(auto ids, core::SendOffers(*store, s, geo, rid, targets, t));
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffersForReferral(store->db(), rid));
  nlohmann::json out = nlohmann::json::array();
  std::string text;
  for (const auto& id : ids) {
    for (const auto& o : offers) {
      if (o.id != id) continue;
      out.push_back({{"offer_id", o.id},
                     {"provider_id", o.provider_id},
                     {"bed_id", o.bed_id},
                     {"respond_by", o.respond_by},
                     {"package", nlohmann::json::parse(o.note)}});
      text += fmt::format("offer {} to {} (answer by {})\n", o.id, o.provider_id, o.respond_by);
      if (text.find("package:") == std::string::npos) text += "package: " + o.note + "\n";
    }
  }
  Print(json ? out.dump(2) + "\n" : text);
  return Status::Ok();
}

Status Accept(const Globals& g, const std::string& offer, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_RETURN_IF_ERROR(core::AcceptOffer(*store, offer, t));
  Print(fmt::format("offer {} accepted\n", offer));
  return Status::Ok();
}

Status Decline(const Globals& g, const std::string& offer, const std::string& reason, const std::string& note,
               const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(DeclineReason code, FromString<DeclineReason>(reason));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_RETURN_IF_ERROR(core::DeclineOffer(*store, offer, code, note, t));
  Print(fmt::format("offer {} declined ({})\n", offer, reason));
  return Status::Ok();
}

Status Withdraw(const Globals& g, const std::string& offer, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_RETURN_IF_ERROR(core::WithdrawOffer(*store, offer, t));
  Print(fmt::format("offer {} withdrawn\n", offer));
  return Status::Ok();
}

// The case log: `berth referral note|log|done|search`.
Status CaseCmd(const Globals& g, const std::string& action, const std::string& arg, const std::string& text,
               const std::string& kind, const std::string& due, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  if (action == "done") {
    BERTH_RETURN_IF_ERROR(core::CompleteReminder(*store, arg, t));
    Print(fmt::format("reminder {} done\n", arg));
    return Status::Ok();
  }
  if (action == "search") {
    BERTH_ASSIGN_OR_RETURN(auto ids, core::SearchCaseNotes(*store, arg));
    std::string out;
    for (const auto& id : ids) out += id + "\n";
    Print(out);
    return Status::Ok();
  }
  BERTH_ASSIGN_OR_RETURN(std::string rid, ResolveReferral(*store, arg));
  if (action == "note") {
    BERTH_ASSIGN_OR_RETURN(NoteKind k, FromString<NoteKind>(kind));
    BERTH_ASSIGN_OR_RETURN(std::string id, core::AddCaseNote(*store, rid, k, text, due, t));
    Print(fmt::format("{} {} added to the case log of referral {}\n", kind, id, rid));
    return Status::Ok();
  }
  BERTH_ASSIGN_OR_RETURN(auto log, core::CaseLog(*store, rid));
  Print(core::CaseLogText(log));
  return Status::Ok();
}

Status Confirm(const Globals& g, const std::string& ref, const std::string& bed, const std::string& provider,
               const std::string& start, const std::string& end, const std::string& override_reason,
               const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  if (bed.empty() == provider.empty()) return UsageError("give exactly one of --bed or --homecare PROVIDER");
  core::PlacementTerms terms;
  terms.start_date = start.empty() ? t.today : start;
  terms.end_date = end;
  terms.override_reason = override_reason;
  const std::string until = end.empty() ? "" : " until " + end;
  const std::string how = override_reason.empty() ? "" : " (override: no accepted offer)";
  if (!bed.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
    BERTH_ASSIGN_OR_RETURN(std::string rid, ResolveReferral(*store, ref));
    BERTH_ASSIGN_OR_RETURN(std::string pid, core::ConfirmBed(*store, rid, bed, terms, t));
    Print(fmt::format("referral {} placed in bed {} from {}{} (placement {}){}\n", rid, bed, terms.start_date,
                      until, pid, how));
    return Status::Ok();
  }
  BERTH_ASSIGN_OR_RETURN(MatchingStore s, OpenMatchingStore(g));
  MatchContext ctx = ContextFor(s, "");
  ctx.today = t.today;
  ctx.now_iso = t.now_iso;
  BERTH_ASSIGN_OR_RETURN(std::string rid, ResolveReferral(*s.store, ref));
  BERTH_ASSIGN_OR_RETURN(auto ids, core::ConfirmHomecare(*s.store, ctx, rid, provider, terms, t));
  std::string out = fmt::format("referral {} placed with homecare from {} from {}{} ({} placement rows){}\n",
                                rid, provider, terms.start_date, until, ids.size(), how);
  for (const auto& id : ids) out += "  placement " + id + "\n";
  Print(out);
  return Status::Ok();
}

Status Handback(const Globals& g, const std::string& placement, const std::string& referral,
                const std::string& reason, const std::string& end, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  if (placement.empty() == referral.empty())
    return UsageError("name the placement (PLACEMENT_ID) or the referral (--referral ID), not both");
  if (end.empty()) return UsageError("--end DATE is required: the last day the provider gives care");
  BERTH_ASSIGN_OR_RETURN(HandbackReason code, FromString<HandbackReason>(reason));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  std::string id;
  if (!referral.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string rid, ResolveReferral(*store, referral));
    BERTH_ASSIGN_OR_RETURN(id, core::HandBackReferral(*store, rid, code, end, t));
  } else {
    BERTH_ASSIGN_OR_RETURN(id, core::HandBack(*store, placement, code, end, t));
  }
  Print(
      fmt::format("handed back (hand back {}): care continues until {}, the referral is first in the queue "
                  "and needed from {}\n",
                  id, end, IsoDateFromDays(DaysFromIsoDate(end) + 1)));
  return Status::Ok();
}

Status Lifecycle(const Globals& g, const std::string& action, const std::string& ref, const std::string& arg,
                 const std::string& note, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(std::string rid, ResolveReferral(*store, ref));
  if (action == "cancel") {
    BERTH_ASSIGN_OR_RETURN(CancelReason why, FromString<CancelReason>(arg));
    BERTH_RETURN_IF_ERROR(core::CancelReferral(*store, rid, why, t));
    Print(fmt::format("referral {} cancelled ({}): out of the queue, holds released, open offers withdrawn\n",
                      rid, arg));
  } else if (action == "reopen") {
    BERTH_RETURN_IF_ERROR(core::ReopenReferral(*store, rid, t));
    BERTH_ASSIGN_OR_RETURN(Referral r, LoadReferral(store->db(), rid));
    Print(fmt::format("referral {} reopened: back in the queue ({})\n", rid, ToString(r.status)));
  } else if (action == "date") {
    BERTH_RETURN_IF_ERROR(core::ChangeDischargeReadyDate(*store, rid, arg, note, t));
    Print(
        fmt::format("referral {} is discharge-ready on {} (the change is kept in its history)\n", rid, arg));
  } else {
    BERTH_ASSIGN_OR_RETURN(DelayReason why, FromString<DelayReason>(arg == "none" ? "" : arg));
    BERTH_RETURN_IF_ERROR(core::SetDelayReason(*store, rid, why, t));
    Print(fmt::format("referral {} delay reason: {}\n", rid, arg));
  }
  return Status::Ok();
}

Status BedStatusCmd(const Globals& g, const std::string& bed, const std::string& status,
                    const std::string& reason, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(BedStatus to, FromString<BedStatus>(status));
  BERTH_ASSIGN_OR_RETURN(UnavailableReason why, FromString<UnavailableReason>(reason));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_RETURN_IF_ERROR(core::SetBedStatus(*store, bed, to, why, t));
  Print(fmt::format("bed {} is {}{}\n", bed, status, reason.empty() ? "" : " (" + reason + ")"));
  return Status::Ok();
}

Status AdmissionsCmd(const Globals& g, const std::string& provider, const std::string& action,
                     const std::string& category, const std::string& reason, const std::string& note,
                     const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  std::optional<BedCategory> cat;
  if (!category.empty()) {
    BERTH_ASSIGN_OR_RETURN(BedCategory c, FromString<BedCategory>(category));
    cat = c;
  }
  BERTH_ASSIGN_OR_RETURN(ClosureReason why, FromString<ClosureReason>(reason));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  const AdmissionsStatus to = action == "close" ? AdmissionsStatus::kClosed : AdmissionsStatus::kOpen;
  BERTH_RETURN_IF_ERROR(core::SetAdmissions(*store, provider, cat, to, why, note, t));
  Print(fmt::format("provider {} {} to {}admissions\n", provider, action == "close" ? "closed" : "opened",
                    category.empty() ? "" : category + " "));
  return Status::Ok();
}

Status Expire(const Globals& g, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(core::ExpiryReport r, core::ExpireLapsed(*store, t));
  Print(fmt::format("{} lapsed hold(s) released, {} offer(s) expired, {} placement(s) started, {} ended\n",
                    r.holds_released, r.offers_expired, r.placements_started, r.placements_ended));
  return Status::Ok();
}

}  // namespace

void RegisterMatchCommands(Registry& r) {
  Globals& g = r.globals;
  Handler& selected = r.selected;
  static std::string id, today, at, bed, provider, start, reason, note, placement, name, value, end,
      override_reason, referral, status, category, action;
  static bool json = false, greedy = false;
  static size_t limit = 0;
  static std::vector<std::string> providers;

  auto* match = r.app.add_subcommand(
      "match", "rank every suitable bed and homecare option for a referral, with reasons");
  match->add_option("REFERRAL_ID", id, "the referral (id or a unique prefix)")->required();
  match->add_flag("--json", json, "JSON output");
  match->add_option("--limit", limit, "show at most N candidates (0: all)");
  match->add_option("--today", today, "match as of this date (default: today)");
  match->callback([&] { selected = [&] { return MatchCommand(g, id, json, limit, today); }; });

  auto* plan = r.app.add_subcommand("plan", "the huddle plan: allocate the whole open queue at once");
  plan->add_flag("--json", json, "JSON output");
  plan->add_flag("--greedy", greedy, "first-come greedy allocation instead (for comparison)");
  plan->add_option("--today", today, "plan as of this date (default: today)");
  plan->callback([&] { selected = [&] { return PlanCommand(g, json, greedy, today); }; });

  auto* weights = r.app.add_subcommand("weights", "show or change the matching weights and settings");
  weights->require_subcommand(1);
  auto* show = weights->add_subcommand("show", "every matching setting, its value and default");
  show->add_flag("--json", json, "JSON output");
  show->callback([&] { selected = [&] { return WeightsShow(g, json); }; });
  auto* set = weights->add_subcommand("set", "change one (e.g. `berth weights set void 25`)");
  set->add_option("NAME", name)->required();
  set->add_option("VALUE", value)->required();
  set->callback([&] { selected = [&] { return WeightsSet(g, name, value); }; });

  const char* at_help = "act as at this instant, YYYY-MM-DDTHH:MM:SSZ (default: now)";
  auto* hold =
      r.app.add_subcommand("hold", "hold a vacant bed for a referral (expires after match.hold_hours)");
  hold->add_option("REFERRAL_ID", id)->required();
  hold->add_option("BED_ID", bed)->required();
  hold->add_option("--at", at, at_help);
  hold->callback([&] { selected = [&] { return Hold(g, id, bed, at); }; });

  auto* release = r.app.add_subcommand("release", "release a held bed");
  release->add_option("BED_ID", bed)->required();
  release->add_option("--at", at, at_help);
  release->callback([&] { selected = [&] { return Release(g, bed, at); }; });

  auto* offer =
      r.app.add_subcommand("offer", "send the anonymised package to several providers, each with a deadline");
  offer->add_option("REFERRAL_ID", id)->required();
  offer->add_option("PROVIDER", providers, "provider ids (PROVIDER or PROVIDER:BED_ID)")->required();
  offer->add_option("--at", at, at_help);
  offer->add_flag("--json", json, "JSON output");
  offer->callback([&] { selected = [&] { return OfferCmd(g, id, providers, at, json); }; });

  auto* accept = r.app.add_subcommand("accept", "record a provider's acceptance of an offer");
  accept->add_option("OFFER_ID", id)->required();
  accept->add_option("--at", at, at_help);
  accept->callback([&] { selected = [&] { return Accept(g, id, at); }; });

  auto* decline = r.app.add_subcommand("decline", "record a provider's decline with a coded reason");
  decline->add_option("OFFER_ID", id)->required();
  decline
      ->add_option("--reason", reason,
                   "no_capacity, cannot_meet_needs, not_compatible, infection, staffing, price, other")
      ->required();
  decline->add_option("--note", note, "free text (no personal data)");
  decline->add_option("--at", at, at_help);
  decline->callback([&] { selected = [&] { return Decline(g, id, reason, note, at); }; });

  auto* withdraw = r.app.add_subcommand("withdraw", "take back a pending or accepted offer");
  withdraw->add_option("OFFER_ID", id)->required();
  withdraw->add_option("--at", at, at_help);
  withdraw->callback([&] { selected = [&] { return Withdraw(g, id, at); }; });

  auto* confirm = r.app.add_subcommand(
      "confirm", "confirm a placement the provider accepted: occupy the bed or allocate the homecare hours");
  confirm->add_option("REFERRAL_ID", id)->required();
  confirm->add_option("--bed", bed, "the bed");
  confirm->add_option("--homecare", provider, "the homecare agency (hours in the person's zone)");
  confirm->add_option("--start", start, "the first day of care (default: today)");
  confirm->add_option("--end", end, "the last day of care, for a time-limited stay (default: open-ended)");
  confirm->add_option("--override", override_reason,
                      "confirm without an accepted offer (a placement arranged outside Berth): why");
  confirm->add_option("--at", at, at_help);
  confirm->callback(
      [&] { selected = [&] { return Confirm(g, id, bed, provider, start, end, override_reason, at); }; });

  auto* handback = r.app.add_subcommand(
      "handback",
      "a provider hands care back with notice: care continues until --end, then the referral is re-brokered "
      "first");
  handback->add_option("PLACEMENT_ID", placement, "the placement (a homecare package goes back whole)");
  handback->add_option("--referral", referral, "or the referral whose placement is handed back");
  handback->add_option("--reason", reason, "staffing, needs_changed, unsafe, price, other")->required();
  handback->add_option("--end", end, "the last day of care (today or later)")->required();
  handback->add_option("--at", at, at_help);
  handback->callback([&] { selected = [&] { return Handback(g, placement, referral, reason, end, at); }; });

  auto* bed_cmd =
      r.app.add_subcommand("bed", "record what a home says about a bed: vacant, occupied, unavailable");
  bed_cmd->add_option("BED_ID", bed)->required();
  bed_cmd->add_option("STATUS", status, "vacant, occupied (outside Berth) or unavailable")
      ->required()
      ->check(CLI::IsMember({"vacant", "occupied", "unavailable"}));
  bed_cmd->add_option("--reason", reason, "unavailable: outbreak, maintenance, staffing, quality, other");
  bed_cmd->add_option("--at", at, at_help);
  bed_cmd->callback([&] { selected = [&] { return BedStatusCmd(g, bed, status, reason, at); }; });

  auto* admissions =
      r.app.add_subcommand("admissions", "open or close a provider to admissions (all categories, or one)");
  admissions->add_option("PROVIDER_ID", provider)->required();
  admissions->add_option("ACTION", action, "open or close")
      ->required()
      ->check(CLI::IsMember({"open", "close"}));
  admissions->add_option("--category", category, "one bed category (default: all)");
  admissions->add_option("--reason", reason, "close: outbreak, quality, staffing, other");
  admissions->add_option("--note", note, "free text (no personal data)");
  admissions->add_option("--at", at, at_help);
  admissions->callback(
      [&] { selected = [&] { return AdmissionsCmd(g, provider, action, category, reason, note, at); }; });

  // The referral's life: `berth referral cancel|reopen|date|delay` (with `add`, `list`, `show`).
  if (CLI::App* life = r.app.get_subcommand("referral")) {
    static std::string ref_id, code, date_note;
    auto* cancel = life->add_subcommand("cancel", "close an open referral with a coded reason");
    cancel->add_option("REFERRAL_ID", ref_id)->required();
    cancel
        ->add_option(
            "--reason", code,
            "died, readmitted, home_without_support, self_arranged, moved_out_of_area, declined_care, "
            "duplicate, other")
        ->required();
    cancel->add_option("--at", at, at_help);
    cancel->callback([&] { selected = [&] { return Lifecycle(g, "cancel", ref_id, code, "", at); }; });
    auto* reopen = life->add_subcommand("reopen", "bring a cancelled referral back into the queue");
    reopen->add_option("REFERRAL_ID", ref_id)->required();
    reopen->add_option("--at", at, at_help);
    reopen->callback([&] { selected = [&] { return Lifecycle(g, "reopen", ref_id, "", "", at); }; });
    auto* date = life->add_subcommand("date", "change the discharge-ready date (kept as history)");
    date->add_option("REFERRAL_ID", ref_id)->required();
    date->add_option("DATE", code, "the new discharge-ready date, YYYY-MM-DD")->required();
    date->add_option("--note", date_note, "why (no personal data)");
    date->add_option("--at", at, at_help);
    date->callback([&] { selected = [&] { return Lifecycle(g, "date", ref_id, code, date_note, at); }; });
    auto* delay = life->add_subcommand("delay", "record why discharge is delayed (NHS DToC reason code)");
    delay->add_option("REFERRAL_ID", ref_id)->required();
    delay
        ->add_option(
            "CODE", code,
            "a_assessment, b_public_funding, c_further_nhs_care, di_residential_home, dii_nursing_home, "
            "e_care_package_at_home, f_equipment_adaptations, g_patient_family_choice, h_disputes, "
            "i_housing, o_other, or none")
        ->required();
    delay->add_option("--at", at, at_help);
    delay->callback([&] { selected = [&] { return Lifecycle(g, "delay", ref_id, code, "", at); }; });
    // The case log (app/core case_log.h).
    static std::string note_text, note_kind = "note", note_due;
    auto* add_note = life->add_subcommand("note", "add a note, a call or a chase reminder to the case log");
    add_note->add_option("REFERRAL_ID", ref_id)->required();
    add_note->add_option("TEXT", note_text, "what to note")->required();
    add_note->add_option("--kind", note_kind, "note (default), call or reminder")
        ->check(CLI::IsMember({"note", "call", "reminder"}));
    add_note->add_option("--due", note_due, "a reminder: when it falls due (YYYY-MM-DD or an instant)");
    add_note->add_option("--at", at, at_help);
    add_note->callback(
        [&] { selected = [&] { return CaseCmd(g, "note", ref_id, note_text, note_kind, note_due, at); }; });
    auto* show_log = life->add_subcommand("log", "the case log in words (audited as a view of the notes)");
    show_log->add_option("REFERRAL_ID", ref_id)->required();
    show_log->callback([&] { selected = [&] { return CaseCmd(g, "log", ref_id, "", "", "", at); }; });
    auto* done = life->add_subcommand("done", "mark a chase reminder done");
    done->add_option("NOTE_ID", ref_id)->required();
    done->add_option("--at", at, at_help);
    done->callback([&] { selected = [&] { return CaseCmd(g, "done", ref_id, "", "", "", at); }; });
    auto* search = life->add_subcommand("search", "the referrals whose case notes contain TEXT (audited)");
    search->add_option("TEXT", ref_id)->required();
    search->callback([&] { selected = [&] { return CaseCmd(g, "search", ref_id, "", "", "", at); }; });
  }

  auto* expire = r.app.add_subcommand(
      "expire",
      "housekeeping as time passes: lapsed holds, unanswered offers, placements starting and ending");
  expire->add_option("--at", at, at_help);
  expire->callback([&] { selected = [&] { return Expire(g, at); }; });
}

}  // namespace berth::cli
