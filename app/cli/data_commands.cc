// Data commands: importing the CQC directory and capacity returns, referrals, the demo store, reports.
#include <fmt/format.h>

#include <chrono>

#include "berth/core/commissioning.h"
#include "berth/core/csv.h"
#include "berth/core/demo.h"
#include "berth/core/geo.h"
#include "berth/core/importers.h"
#include "berth/core/referral_json.h"
#include "berth/core/referrals.h"
#include "berth/core/reports.h"
#include "berth/core/short_ids.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"
#include "cli.h"

namespace berth::cli {

namespace {

using core::ReportFormat;

Status ImportCqc(const Globals& g, const std::string& file, const core::CqcImportOptions& options,
                 bool verbose) {
  BERTH_ASSIGN_OR_RETURN(std::string data, core::ReadInput(file));
  BERTH_ASSIGN_OR_RETURN(const core::Geography* geo, core::DefaultGeography());
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  const auto t0 = std::chrono::steady_clock::now();
  BERTH_ASSIGN_OR_RETURN(core::ImportReport report, core::ImportCqcDirectory(*store, *geo, data, options));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Print(report.Text(verbose) + fmt::format("({:.2f} s)\n", s));
  return Status::Ok();
}

Status ImportCapacity(const Globals& g, const std::string& file, bool beds, bool verbose) {
  BERTH_ASSIGN_OR_RETURN(std::string data, core::ReadInput(file));
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(core::ImportReport report, beds ? core::ImportBedReturn(*store, data)
                                                         : core::ImportHomecareReturn(*store, data));
  Print(report.Text(verbose));
  return Status::Ok();
}

Status AddReferrals(const Globals& g, const std::string& file) {
  BERTH_ASSIGN_OR_RETURN(std::string data, core::ReadInput(file));
  BERTH_ASSIGN_OR_RETURN(const core::Geography* geo, core::DefaultGeography());
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  std::vector<std::string> ids;
  BERTH_ASSIGN_OR_RETURN(core::ImportReport report,
                         core::ImportReferrals(*store, *geo, data, TodayIsoDate(), &ids));
  std::string out = fmt::format("added {} referral{}\n", ids.size(), ids.size() == 1 ? "" : "s");
  for (const auto& id : ids) out += id + "\n";
  Print(out);
  return Status::Ok();
}

Status ListReferrals(const Globals& g, bool json, bool all) {
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(std::vector<Referral> referrals, LoadReferrals(store->db()));
  BERTH_ASSIGN_OR_RETURN(auto short_ids, core::ShortIds(store->db(), "referral"));
  const std::string today = TodayIsoDate();
  nlohmann::json arr = nlohmann::json::array();
  std::string text;
  int64_t shown = 0;
  for (const auto& r : referrals) {
    if (!all && !core::IsOpen(r.status)) continue;  // the queue's rule (app/core), as the board's
    // Listing shows names: each person shown is a view of their record.
    BERTH_RETURN_IF_ERROR(store->AuditView("referral", r.id));
    ++shown;
    nlohmann::json j = core::ReferralSummaryJson(r, today);
    j["short_id"] = short_ids[r.id];
    if (json) {
      arr.push_back(j);
    } else {
      text += fmt::format("{:<8}  {:<24}  {:<16}  {:<22}  {:<9}  {}  {:>3}d\n", short_ids[r.id],
                          r.name.substr(0, 24), std::string(ToString(r.pathway)),
                          j["category"].get<std::string>(), std::string(ToString(r.status)),
                          r.discharge_ready_date, j["days_past_discharge_ready"].get<int64_t>());
    }
  }
  if (json) {
    Print(arr.dump(2) + "\n");
  } else {
    Print(fmt::format("{} referral{}\n", shown, shown == 1 ? "" : "s") + text);
  }
  return Status::Ok();
}

Status ShowReferral(const Globals& g, const std::string& id, bool json) {
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(std::string found, core::ResolveId(store->db(), "referral", "referral", id));
  BERTH_ASSIGN_OR_RETURN(Referral r, LoadReferral(store->db(), found));
  BERTH_RETURN_IF_ERROR(store->AuditView("referral", r.id));
  nlohmann::json j = core::ReferralToJson(r);
  // Its placements (with their ids: what `handback` names), offers and hand backs.
  BERTH_ASSIGN_OR_RETURN(auto placements, core::PlacementsOf(*store, r.id));
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffersForReferral(store->db(), r.id));
  BERTH_ASSIGN_OR_RETURN(auto handbacks, LoadHandbacksOfReferral(store->db(), r.id));
  nlohmann::json pj = nlohmann::json::array(), oj = nlohmann::json::array(), hj = nlohmann::json::array();
  std::string lines;
  for (const Placement& p : placements) {
    pj.push_back({{"id", p.id},
                  {"provider_id", p.provider_id},
                  {"kind", ToString(p.kind)},
                  {"bed_id", p.bed_id},
                  {"homecare_capacity_id", p.homecare_capacity_id},
                  {"hours_per_week", p.hours_per_week},
                  {"start_date", p.start_date},
                  {"end_date", p.end_date},
                  {"status", ToString(p.status)}});
    lines += fmt::format("  placement {}  {} {}  {} to {}  {}\n", p.id, p.provider_id,
                         p.bed_id.empty() ? fmt::format("{:g} h/wk", p.hours_per_week) : "bed " + p.bed_id,
                         p.start_date, p.end_date.empty() ? "open" : p.end_date, ToString(p.status));
  }
  for (const Offer& o : offers) {
    oj.push_back({{"id", o.id},
                  {"provider_id", o.provider_id},
                  {"bed_id", o.bed_id},
                  {"status", ToString(o.status)},
                  {"decline_reason", ToString(o.decline_reason)},
                  {"respond_by", o.respond_by}});
    lines += fmt::format(
        "  offer {}  {}{}  {}{}\n", o.id, o.provider_id, o.bed_id.empty() ? "" : " bed " + o.bed_id,
        ToString(o.status),
        o.status == OfferStatus::kDeclined ? " (" + std::string(ToString(o.decline_reason)) + ")" : "");
  }
  BERTH_ASSIGN_OR_RETURN(auto date_changes, LoadDateChanges(store->db(), r.id));
  nlohmann::json dj = nlohmann::json::array();
  for (const ReferralDateChange& c : date_changes) {
    dj.push_back({{"old_date", c.old_date},
                  {"new_date", c.new_date},
                  {"changed_by", c.changed_by},
                  {"changed_at", c.changed_at},
                  {"note", c.note}});
    lines += fmt::format("  discharge-ready date {} -> {}  by {} at {}\n",
                         c.old_date.empty() ? "(none)" : c.old_date, c.new_date, c.changed_by, c.changed_at);
  }
  for (const Handback& h : handbacks) {
    hj.push_back({{"id", h.id},
                  {"provider_id", h.provider_id},
                  {"placement_id", h.placement_id},
                  {"notice_date", h.notice_date},
                  {"end_date", h.end_date},
                  {"reason", ToString(h.reason)},
                  {"status", ToString(h.status)}});
    lines += fmt::format("  hand back {}  {}  notice {}, last day {}  {} ({})\n", h.id, h.provider_id,
                         h.notice_date, h.end_date, ToString(h.reason), ToString(h.status));
  }
  if (json) {
    j["placements"] = std::move(pj);
    j["offers"] = std::move(oj);
    j["handbacks"] = std::move(hj);
    j["date_changes"] = std::move(dj);
    Print(j.dump(2) + "\n");
    return Status::Ok();
  }
  std::string out;
  for (const auto& [key, value] : j.items()) {
    out += fmt::format("{:<22} {}\n", key + ":", value.is_string() ? value.get<std::string>() : value.dump());
  }
  if (!lines.empty()) out += "placements, offers, hand backs and date changes:\n" + lines;
  Print(out);
  return Status::Ok();
}

Status Demo(const Globals& g, uint64_t seed, const std::string& scale_text, const std::string& today) {
  BERTH_ASSIGN_OR_RETURN(core::DemoScale scale, core::ParseDemoScale(scale_text));
  if (!today.empty() && !IsIsoDate(today)) return UsageError("--today must be YYYY-MM-DD");
  BERTH_ASSIGN_OR_RETURN(const core::Geography* geo, core::DefaultGeography());
  BERTH_ASSIGN_OR_RETURN(Secret passphrase,
                         Store::Exists(g.store_dir)
                             ? ReadPassphrase(g)
                             : ReadNewPassphrase(g.passphrase_file, "BERTH_PASSPHRASE", "passphrase"));
  StoreOptions options;
  options.actor = g.actor;
  std::unique_ptr<Store> store;
  std::string recovery_text;
  if (Store::Exists(g.store_dir)) {
    BERTH_ASSIGN_OR_RETURN(store, Store::Open(g.store_dir, passphrase, options));
  } else {
    Secret recovery;
    BERTH_ASSIGN_OR_RETURN(store, Store::Create(g.store_dir, passphrase, &recovery, options));
    BERTH_RETURN_IF_ERROR(
        store->AppendAudit("init", "store", store->device_id(), "store created for the demo"));
    recovery_text = fmt::format(
        "Created an encrypted Berth store in {}\n\n"
        "Recovery key (shown once; keep it somewhere safe and away from this laptop):\n\n    {}\n\n"
        "With it, `berth recover` sets a new passphrase if this one is forgotten.\n\n",
        g.store_dir, recovery.view());
  }
  core::DemoOptions o;
  o.seed = seed;
  o.scale = scale;
  if (!today.empty()) o.today = today;
  const auto t0 = std::chrono::steady_clock::now();
  BERTH_ASSIGN_OR_RETURN(core::DemoSummary summary, core::BuildDemo(*store, *geo, o));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Print(recovery_text +
        fmt::format("Demo store ({} scale, seed {}, as of {}) built in {:.1f} s:\n", scale_text, seed,
                    o.today, s) +
        summary.Text() + "Fictional people only (NHS numbers from the 999 test range).\n");
  return Status::Ok();
}

// The range a report covers: --from and --to, by default the 28 days to --to (or to today). A bad date is
// left for the report to refuse.
void DefaultRange(const std::string& today, std::string& from, std::string& to) {
  if (to.empty()) to = today;
  if (from.empty() && IsIsoDate(to)) from = IsoDateFromDays(DaysFromIsoDate(to) - 27);
}

// The reports that match the queue (why-voids, unmet) read every queued person's record, like the plan:
// one audit entry for the run.
Status MatchedReport(const Globals& g, const std::string& which, ReportFormat f, const std::string& today) {
  BERTH_ASSIGN_OR_RETURN(MatchingStore s, OpenMatchingStore(g));
  const core::MatchContext ctx = ContextFor(s, today);
  std::string text;
  int64_t queued = 0;
  if (which == "why-voids") {
    BERTH_ASSIGN_OR_RETURN(core::WhyVoidsReport r, core::BuildWhyVoidsReport(s.store->db(), ctx));
    queued = r.referrals;
    text = core::Render(r, f);
  } else {
    BERTH_ASSIGN_OR_RETURN(core::UnmetReport r, core::BuildUnmetReport(s.store->db(), ctx));
    queued = r.queued;
    text = core::Render(r, f);
  }
  BERTH_RETURN_IF_ERROR(s.store->AppendAudit("report", "referral", "*",
                                             fmt::format("{} report over {} open referrals", which, queued)));
  Print(text);
  return Status::Ok();
}

Status Report(const Globals& g, const std::string& which, bool csv, bool json, std::string today,
              std::string from, std::string to, const std::vector<std::string>& areas) {
  if (csv && json) return UsageError("choose one of --csv and --json");
  const ReportFormat f = csv ? ReportFormat::kCsv : json ? ReportFormat::kJson : ReportFormat::kText;
  if (today.empty()) today = TodayIsoDate();
  if (!IsIsoDate(today)) return UsageError("--today must be YYYY-MM-DD");
  if (which == "why-voids" || which == "unmet") return MatchedReport(g, which, f, today);
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  if (which == "queue") {
    BERTH_ASSIGN_OR_RETURN(core::QueueReport r, core::BuildQueueReport(store->db(), today));
    // The queue shows people's names: one view entry per person shown.
    for (const auto& row : r.rows) BERTH_RETURN_IF_ERROR(store->AuditView("referral", row.referral_id));
    Print(core::Render(r, f));
    return Status::Ok();
  }
  if (which == "voids") {
    BERTH_ASSIGN_OR_RETURN(core::VoidsReport r, core::BuildVoidsReport(store->db(), today));
    Print(core::Render(r, f));
    return Status::Ok();
  }
  DefaultRange(today, from, to);
  if (which == "handbacks") {
    BERTH_ASSIGN_OR_RETURN(core::HandbacksReport r, core::BuildHandbacksReport(store->db(), from, to));
    Print(core::Render(r, f));
  } else if (which == "responses") {
    // A pending offer is judged against the end of the range's last day, or now when that is today.
    const std::string now = to == TodayIsoDate() ? core::WorkflowTime::Now().now_iso : to + "T23:59:59Z";
    BERTH_ASSIGN_OR_RETURN(core::ResponsesReport r, core::BuildResponsesReport(store->db(), from, to, now));
    Print(core::Render(r, f));
  } else if (which == "spend") {
    std::vector<std::string> council = areas;
    if (council.empty()) {
      BERTH_ASSIGN_OR_RETURN(const core::Geography* geo, core::DefaultGeography());
      council = core::DefaultCouncilAreas(*geo);
    }
    BERTH_ASSIGN_OR_RETURN(core::SpendReport r, core::BuildSpendReport(store->db(), from, to, council));
    Print(core::Render(r, f));
  } else {
    BERTH_ASSIGN_OR_RETURN(core::UtilisationReport r, core::BuildUtilisationReport(store->db(), from, to));
    Print(core::Render(r, f));
  }
  return Status::Ok();
}

Status ExportPlacements(const Globals& g, bool csv, bool json, const std::string& from,
                        const std::string& to) {
  if (csv && json) return UsageError("choose one of --csv and --json");
  const ReportFormat f = csv ? ReportFormat::kCsv : json ? ReportFormat::kJson : ReportFormat::kText;
  BERTH_ASSIGN_OR_RETURN(auto store, OpenStore(g));
  BERTH_ASSIGN_OR_RETURN(core::PlacementExport r, core::ExportPlacements(*store, from, to));
  Print(core::Render(r, f));
  return Status::Ok();
}

}  // namespace

void RegisterDataCommands(Registry& r) {
  Globals& g = r.globals;
  Handler& selected = r.selected;

  // import cqc|beds|homecare FILE
  auto* import =
      r.app.add_subcommand("import", "import the CQC care directory or providers' capacity returns");
  import->require_subcommand(1);
  static std::string cqc_file, cqc_la, cqc_region, beds_file, homecare_file;
  static bool verbose = false;
  static core::CqcImportOptions cqc_options;
  auto* cqc =
      import->add_subcommand("cqc", "import the CQC care directory CSV (with or without header); idempotent");
  cqc->add_option("file", cqc_file, "the CSV file")->required();
  cqc->add_option("--la", cqc_la, "only this local authority (e.g. Cambridgeshire)");
  cqc->add_option("--region", cqc_region, "only this region (e.g. East)");
  cqc->add_flag("--verbose", verbose, "list every skipped row");
  cqc->callback([&] {
    selected = [&] {
      cqc_options.local_authority = cqc_la;
      cqc_options.region = cqc_region;
      return ImportCqc(g, cqc_file, cqc_options, verbose);
    };
  });
  auto* beds =
      import->add_subcommand("beds", "import a bed capacity return (README: Capacity return formats)");
  beds->add_option("file", beds_file, "the CSV file")->required();
  beds->callback([&] { selected = [&] { return ImportCapacity(g, beds_file, true, false); }; });
  auto* homecare = import->add_subcommand(
      "homecare", "import a homecare capacity return (README: Capacity return formats)");
  homecare->add_option("file", homecare_file, "the CSV file")->required();
  homecare->callback([&] { selected = [&] { return ImportCapacity(g, homecare_file, false, false); }; });

  // referral add|list|show
  auto* referral = r.app.add_subcommand("referral", "add, list and show referrals");
  referral->require_subcommand(1);
  static std::string add_file, show_id;
  static bool list_json = false, list_all = false, show_json = false;
  auto* add = referral->add_subcommand("add", "add referrals from a JSON file (or - for standard input)");
  add->add_option("file", add_file, "FILE.json or -")->required();
  add->callback([&] { selected = [&] { return AddReferrals(g, add_file); }; });
  auto* list = referral->add_subcommand("list", "list open referrals by discharge-ready date");
  list->add_flag("--json", list_json, "print a JSON array");
  list->add_flag("--all", list_all, "include placed and cancelled referrals");
  list->callback([&] { selected = [&] { return ListReferrals(g, list_json, list_all); }; });
  auto* show = referral->add_subcommand(
      "show", "show one referral (by id, the short id `referral list` shows, or a unique prefix)");
  show->add_option("id", show_id, "the referral id")->required();
  show->add_flag("--json", show_json, "print JSON");
  show->callback([&] { selected = [&] { return ShowReferral(g, show_id, show_json); }; });

  // demo
  static uint64_t seed = 1;
  static std::string scale = "county", demo_today;
  auto* demo = r.app.add_subcommand("demo",
                                    "build a demo store from real CQC data with synthetic beds and fictional "
                                    "referrals (creates the store if needed)");
  demo->add_option("--seed", seed, "random seed (the same seed and date give the same store)");
  demo->add_option("--scale", scale, "county (Cambridgeshire and Peterborough), region (East) or england")
      ->check(CLI::IsMember({"county", "region", "england"}));
  demo->add_option("--today", demo_today, "the date the demo is built around (default: today)");
  demo->callback([&] { selected = [&] { return Demo(g, seed, scale, demo_today); }; });

  // report queue|voids|utilisation|handbacks and the commissioning reports
  auto* report = r.app.add_subcommand("report", "the brokerage and commissioning reports");
  report->require_subcommand(1);
  static bool csv = false, json = false;
  static std::string today, from, to;
  static std::vector<std::string> areas;
  for (const char* which :
       {"queue", "voids", "utilisation", "handbacks", "why-voids", "unmet", "responses", "spend"}) {
    const std::string_view w(which);
    const char* help =
        w == "queue"   ? "open referrals in queue order: hand backs first, then days past the date needed"
        : w == "voids" ? "vacant block beds: days vacant and cost so far at the weekly rate"
        : w == "handbacks"
            ? "hand backs given in a date range (default: 28 days to today): providers, people, hours, beds, "
              "reasons, notice"
        : w == "why-voids"
            ? "each void, the queued referrals it was checked against and the rule that excluded it for each"
        : w == "unmet" ? "queued referrals with no suitable option, by category, district and homecare band, "
                         "with the rule that stopped them"
        : w == "responses" ? "offers sent in a date range (default: 28 days to today): answers, decline "
                             "reasons and response "
                             "times by provider; declines by block homes"
        : w == "spend"
            ? "placements live in a date range (default: 28 days to today) by contract type, weekly "
              "cost, the block contract and its voids, out-of-area placements"
            : "block bed utilisation by home and district over a date range (default: 28 days to "
              "today)";
    auto* sub = report->add_subcommand(which, help);
    sub->add_flag("--csv", csv, "CSV output");
    sub->add_flag("--json", json, "JSON output");
    sub->add_option("--today", today, "report as of this date (default: today)");
    if (w == "utilisation" || w == "handbacks" || w == "responses" || w == "spend") {
      sub->add_option("--from", from, "first day (YYYY-MM-DD)");
      sub->add_option("--to", to, "last day (YYYY-MM-DD)");
    }
    if (w == "spend") {
      sub->add_option("--area", areas,
                      "a local authority in the council's area (repeat for more; default: the councils of "
                      "the referring hospitals)");
    }
    sub->callback([&, which] {
      selected = [&, which] { return Report(g, which, csv, json, today, from, to, areas); };
    });
  }

  // export placements
  auto* exp = r.app.add_subcommand("export", "exports for the council's finance and case-management systems");
  exp->require_subcommand(1);
  static bool exp_csv = false, exp_json = false;
  static std::string exp_from, exp_to;
  auto* placements = exp->add_subcommand("placements",
                                         "every placement: person id, NHS number, provider and CQC id, bed "
                                         "or hours, dates, weekly cost, funding "
                                         "(audited as a view of each person's record)");
  placements->add_flag("--csv", exp_csv, "CSV output");
  placements->add_flag("--json", exp_json, "JSON output");
  placements->add_option("--from", exp_from, "only placements taking a day from this one (YYYY-MM-DD)");
  placements->add_option("--to", exp_to, "only placements taking a day up to this one (YYYY-MM-DD)");
  placements->callback(
      [&] { selected = [&] { return ExportPlacements(g, exp_csv, exp_json, exp_from, exp_to); }; });
}

}  // namespace berth::cli
