// Matching commands: match, plan, weights, and the referral workflow (hold, release, offer, accept, decline,
// confirm, handback, expire). The logic is in berth_core (match.h, plan.h, workflow.h); these parse,
// open the store and print.
#include <fmt/format.h>

#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/plan.h"
#include "berth/core/scoring.h"
#include "berth/core/supply_index.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"
#include "cli.h"

namespace berth::cli {
namespace {

using core::MatchContext;

// A referral by id or by a unique prefix of it.
Result<std::string> ResolveReferral(Store& store, const std::string& text) {
  if (text.empty()) return BadInput("a referral id is required");
  BERTH_ASSIGN_OR_RETURN(Statement q,
                         store.db().Prepare("SELECT id FROM referral WHERE deleted = 0 AND"
                                            " substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 2"));
  q.Bind(1, text);
  std::vector<std::string> ids;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ids.push_back(q.Text(0));
  }
  for (const auto& id : ids) {
    if (id == text) return id;
  }
  if (ids.empty()) return NotFound("no referral with id " + text.substr(0, 40));
  if (ids.size() > 1)
    return BadInput("'" + text.substr(0, 40) + "' matches more than one referral; give more of the id");
  return ids.front();
}

struct Session {
  std::unique_ptr<Store> store;
  core::MatchSettings settings;
  const core::Geography* geo = nullptr;
  std::optional<core::SupplyIndex> index;
};

Result<Session> OpenSession(const Globals& g) {
  Session s;
  BERTH_ASSIGN_OR_RETURN(s.store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(s.settings, core::LoadMatchSettings(*s.store));
  BERTH_ASSIGN_OR_RETURN(s.geo, core::DefaultGeography());
  BERTH_ASSIGN_OR_RETURN(core::SupplyIndex ix, core::SupplyIndex::Build(s.store->db(), s.geo));
  s.index = std::move(ix);
  return s;
}

// The context needs pointers into the session, so it is made once the session has its final address.
MatchContext ContextFor(Session& s, const std::string& today) {
  MatchContext ctx = core::ContextNow(*s.index, s.settings, s.geo);
  if (!today.empty()) {
    ctx.today = today;
    ctx.now_iso = today + "T09:00:00Z";
  }
  return ctx;
}

Status CheckToday(const std::string& today) {
  if (!today.empty() && !IsIsoDate(today)) return BadInput("--today must be YYYY-MM-DD");
  return Status::Ok();
}

Status MatchCommand(const Globals& g, const std::string& id, bool json, size_t limit,
                    const std::string& today) {
  BERTH_RETURN_IF_ERROR(CheckToday(today));
  BERTH_ASSIGN_OR_RETURN(Session s, OpenSession(g));
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
  BERTH_ASSIGN_OR_RETURN(Session s, OpenSession(g));
  BERTH_ASSIGN_OR_RETURN(std::vector<Referral> queue, core::LoadOpenQueue(s.store->db()));
  const MatchContext ctx = ContextFor(s, today);
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

Status Confirm(const Globals& g, const std::string& ref, const std::string& bed, const std::string& provider,
               const std::string& start, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  if (bed.empty() == provider.empty()) return UsageError("give exactly one of --bed or --homecare PROVIDER");
  const std::string start_date = start.empty() ? t.today : start;
  if (!bed.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
    BERTH_ASSIGN_OR_RETURN(std::string rid, ResolveReferral(*store, ref));
    BERTH_ASSIGN_OR_RETURN(std::string pid, core::ConfirmBed(*store, rid, bed, start_date, t));
    Print(fmt::format("referral {} placed in bed {} from {} (placement {})\n", rid, bed, start_date, pid));
    return Status::Ok();
  }
  BERTH_ASSIGN_OR_RETURN(Session s, OpenSession(g));
  MatchContext ctx = ContextFor(s, "");
  ctx.today = t.today;
  ctx.now_iso = t.now_iso;
  BERTH_ASSIGN_OR_RETURN(std::string rid, ResolveReferral(*s.store, ref));
  BERTH_ASSIGN_OR_RETURN(auto ids, core::ConfirmHomecare(*s.store, ctx, rid, provider, start_date, t));
  Print(fmt::format("referral {} placed with homecare from {} from {} ({} placement rows)\n", rid, provider,
                    start_date, ids.size()));
  return Status::Ok();
}

Status Handback(const Globals& g, const std::string& placement, const std::string& reason,
                const std::string& end, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(HandbackReason code, FromString<HandbackReason>(reason));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(std::string id,
                         core::HandBack(*store, placement, code, end.empty() ? t.today : end, t));
  Print(fmt::format("placement {} handed back (hand back {}); the referral is back at the top of the queue\n",
                    placement, id));
  return Status::Ok();
}

Status Expire(const Globals& g, const std::string& at) {
  BERTH_ASSIGN_OR_RETURN(core::WorkflowTime t, TimeFor(at));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(core::ExpiryReport r, core::ExpireLapsed(*store, t));
  Print(fmt::format("{} lapsed hold(s) released, {} offer(s) expired\n", r.holds_released, r.offers_expired));
  return Status::Ok();
}

}  // namespace

void RegisterMatchCommands(Registry& r) {
  Globals& g = r.globals;
  Handler& selected = r.selected;
  static std::string id, today, at, bed, provider, start, reason, note, placement, name, value, end;
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

  auto* confirm =
      r.app.add_subcommand("confirm", "confirm a placement: occupy the bed or allocate the homecare hours");
  confirm->add_option("REFERRAL_ID", id)->required();
  confirm->add_option("--bed", bed, "the bed");
  confirm->add_option("--homecare", provider, "the homecare agency (hours in the person's zone)");
  confirm->add_option("--start", start, "start date (default: today)");
  confirm->add_option("--at", at, at_help);
  confirm->callback([&] { selected = [&] { return Confirm(g, id, bed, provider, start, at); }; });

  auto* handback = r.app.add_subcommand(
      "handback", "a provider hands a placement back; the referral re-opens first in the queue");
  handback->add_option("PLACEMENT_ID", placement)->required();
  handback->add_option("--reason", reason, "staffing, needs_changed, unsafe, price, other")->required();
  handback->add_option("--end", end, "the last day of care (default: today)");
  handback->add_option("--at", at, at_help);
  handback->callback([&] { selected = [&] { return Handback(g, placement, reason, end, at); }; });

  auto* expire = r.app.add_subcommand("expire", "release lapsed holds and expire unanswered offers");
  expire->add_option("--at", at, at_help);
  expire->callback([&] { selected = [&] { return Expire(g, at); }; });
}

}  // namespace berth::cli
