// The provider portal's offers (portal.h): each offer addressed to the account's locations as an
// anonymised package, and its answer (accept, or decline with a coded reason and a note).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "berth/schema/model.h"
#include "hub_rules.h"
#include "portal.h"
#include "portal_pages.h"

namespace berth::sync::internal {

namespace {

// The age band of a date of birth on `today` (the date itself is never shown).
std::string AgeBand(const std::string& dob, const std::string& today) {
  if (!IsIsoDate(dob) || !IsIsoDate(today)) return "";
  int age = std::stoi(today.substr(0, 4)) - std::stoi(dob.substr(0, 4));
  if (today.substr(5) < dob.substr(5)) --age;
  if (age < 18) return "under 18";
  if (age < 65) return "18 to 64";
  if (age < 75) return "65 to 74";
  if (age < 85) return "75 to 84";
  return "85 and over";
}

std::string Funding(const std::string& code) {
  static const std::map<std::string, std::string> kNames = {
      {"la", "local authority"},      {"chc", "NHS continuing healthcare"},
      {"joint", "joint funded"},      {"fnc", "funded nursing care"},
      {"self_funder", "self-funder"}, {"top_up", "local authority with top-up"}};
  auto it = kNames.find(code);
  return it == kNames.end() ? code : it->second;
}

// The anonymised package of an offer (DOMAIN.md: needs, area, start date; never the person). Only the
// referral fields named here are read; its name, NHS number, date of birth and notes never reach a page.
OfferView PackageOf(const std::map<std::string, Value>& offer, const std::map<std::string, Value>& referral,
                    const std::string& location, const std::string& today) {
  OfferView v;
  v.id = Str(offer, "id");
  v.status = Str(offer, "status");
  v.sent_at = Str(offer, "sent_at");
  v.respond_by = Str(offer, "respond_by");
  v.location = location;
  v.kind = Str(offer, "homecare_capacity_id").empty() ? "Care home" : "Homecare";
  v.decline_reason = CodeWords(Str(offer, "decline_reason"));
  v.category = CodeWords(Str(referral, "category"));
  v.needs = CodeWords(Str(referral, "needs"));
  v.area = Str(referral, "district");
  v.age_band = AgeBand(Str(referral, "date_of_birth"), today);
  v.gender = Str(referral, "gender");
  v.start_date = Str(referral, "discharge_ready_date");
  v.funding = Funding(Str(referral, "funding"));
  v.infection = Str(referral, "infection_status");
  const std::string calls = Str(referral, "homecare_calls_per_day");
  if (v.kind == "Homecare" && !calls.empty() && calls != "0") {
    v.homecare_pattern =
        fmt::format("{} calls a day, {} minutes each, {}{}", calls,
                    Str(referral, "homecare_minutes_per_call"), CodeWords(Str(referral, "homecare_bands")),
                    Str(referral, "homecare_double_up") == "1" ? ", two carers" : "");
  }
  return v;
}

}  // namespace

PortalAnswer Portal::Offers(const Signed& s, const std::string& flash) {
  auto offers = storage_.RowsWhere("offer", "provider_id", s.provider_ids);
  if (!offers.ok()) return PortalRefused(503, "Try again", "The portal is busy. Try again in a minute.");
  std::vector<std::string> referral_ids;
  for (const auto& o : *offers) referral_ids.push_back(Str(o, "referral_id"));
  auto referrals = storage_.RowsWhere("referral", "id", referral_ids);
  if (!referrals.ok()) return PortalRefused(503, "Try again", "The portal is busy. Try again in a minute.");
  std::map<std::string, const std::map<std::string, Value>*> by_id;
  for (const auto& r : *referrals) by_id[Str(r, "id")] = &r;
  auto providers = storage_.RowsWhere("provider", "id", s.provider_ids);
  std::map<std::string, std::string> names;
  if (providers.ok())
    for (const auto& p : *providers) names[Str(p, "id")] = Str(p, "name");
  const std::string today = TodayIsoDate(&env_);
  std::vector<OfferView> views;
  static const std::map<std::string, Value> kNoReferral;
  for (const auto& o : *offers) {
    auto it = by_id.find(Str(o, "referral_id"));
    views.push_back(
        PackageOf(o, it == by_id.end() ? kNoReferral : *it->second, names[Str(o, "provider_id")], today));
  }
  // Pending offers first, the nearest deadline first; then the answered ones, newest first.
  std::stable_sort(views.begin(), views.end(), [](const OfferView& a, const OfferView& b) {
    const bool pa = a.status == "pending", pb = b.status == "pending";
    if (pa != pb) return pa;
    return pa ? a.respond_by < b.respond_by : a.sent_at > b.sent_at;
  });
  return PortalHtml(200, OffersPage(s.session.csrf, s.location, views, flash));
}

PortalAnswer Portal::Answer(const PortalRequest& r, const Signed& s, const std::string& offer_id) {
  auto offer = OwnRow(s, "offer", offer_id);
  // Another provider's offer looks exactly like no offer at all.
  if (!offer) return PortalRefused(404, "Not found", "There is no such offer for you.");
  const std::string answer = FormField(r, "answer");
  std::map<std::string, Value> fields = {{"answered_at", IsoInstantOfMs(env_.NowMs())}};
  if (answer == "accept") {
    fields["status"] = std::string("accepted");
  } else if (answer == "decline") {
    static const std::set<std::string> kReasons = {
        "no_capacity", "cannot_meet_needs", "not_compatible", "infection", "staffing", "price", "other"};
    const std::string reason = FormField(r, "reason"), note = FormField(r, "note");
    if (!kReasons.count(reason)) return PortalRefused(400, "Not recorded", "Choose a reason for declining.");
    if (note.size() > 500)
      return PortalRefused(400, "Not recorded", "The note is longer than 500 characters.");
    fields["status"] = std::string("declined");
    fields["decline_reason"] = reason;
    fields["note"] = note;
  } else {
    return PortalRefused(400, "Not recorded", "Accept or decline the offer.");
  }
  const std::string refused = PushAsProvider(s, "offer", *offer, fields);
  Audit(s.account.account_id, refused.empty() ? "offer_" + answer : "offer_" + answer + "_refused", offer_id);
  if (!refused.empty()) {
    PortalAnswer a = Offers(s, "Not recorded: " + refused + ".");
    a.status = 409;
    return a;
  }
  return Offers(s, answer == "accept" ? "Offer accepted. The council's brokers see it at their next sync."
                                      : "Offer declined. The council's brokers see it at their next sync.");
}

}  // namespace berth::sync::internal
