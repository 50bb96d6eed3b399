// The provider portal's request handling (portal.h): sessions and CSRF, the account's own rows, and the
// changes it pushes through the hub's rules.
#include "portal.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "berth/schema/ids.h"
#include "berth/schema/model.h"
#include "hub_internal.h"
#include "hub_rules.h"
#include "portal_accounts.h"
#include "portal_pages.h"
#include "rows.h"

namespace berth::sync::internal {

namespace {

constexpr char kSessionCookie[] = "berth_session";
constexpr char kPreCookie[] = "berth_csrf";

std::string Cookie(const std::string& name, const std::string& value, int64_t max_age_s) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict", name, value, max_age_s);
}

PortalAnswer Html(int status, std::string body) {
  PortalAnswer a;
  a.status = status;
  a.body = std::move(body);
  return a;
}

PortalAnswer Redirect(const std::string& to) {
  PortalAnswer a;
  a.status = 303;
  a.location = to;
  return a;
}

PortalAnswer Refused(int status, const std::string& title, const std::string& text) {
  return Html(status, MessagePage(title, text));
}

std::string Field(const PortalRequest& r, const std::string& name) {
  auto it = r.form.find(name);
  return it == r.form.end() ? std::string() : it->second;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Readable codes: "cannot_meet_needs" -> "cannot meet needs", "dementia,hoist" -> "dementia, hoist".
std::string Words(const std::string& code) {
  std::string out;
  for (char c : code) {
    if (c == '_') {
      out += ' ';
    } else if (c == ',') {
      out += ", ";
    } else {
      out += c;
    }
  }
  return out;
}

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
  v.decline_reason = Words(Str(offer, "decline_reason"));
  v.category = Words(Str(referral, "category"));
  v.needs = Words(Str(referral, "needs"));
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
                    Str(referral, "homecare_minutes_per_call"), Words(Str(referral, "homecare_bands")),
                    Str(referral, "homecare_double_up") == "1" ? ", two carers" : "");
  }
  return v;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> PortalSecurityHeaders() {
  return {{"Content-Security-Policy",
           "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none';"
           " base-uri 'none'"},
          {"X-Content-Type-Options", "nosniff"},
          {"X-Frame-Options", "DENY"},
          {"Referrer-Policy", "no-referrer"},
          {"Cache-Control", "no-store"},
          {"Strict-Transport-Security", "max-age=31536000"}};
}

void Portal::Audit(const std::string& account_id, const std::string& action, const std::string& object) {
  if (Status st = storage_.AuditPortal(env_.NowMs(), account_id, action, object); !st.ok()) {
    Log("portal audit not written: " + std::string(CodeName(st.code())));
  }
}

std::string Portal::PreSessionToken(const PortalRequest& r, PortalAnswer* answer) {
  auto it = r.cookies.find(kPreCookie);
  if (it != r.cookies.end() && it->second.size() == 64) return it->second;
  std::string token = NewToken();
  answer->set_cookies.push_back(Cookie(kPreCookie, token, 3600));
  return token;
}

bool Portal::PreSessionTokenOk(const PortalRequest& r) {
  auto it = r.cookies.find(kPreCookie);
  return it != r.cookies.end() && TokensEqual(it->second, Field(r, "csrf"));
}

std::optional<Portal::Signed> Portal::SignedIn(const PortalRequest& r) {
  auto it = r.cookies.find(kSessionCookie);
  if (it == r.cookies.end() || it->second.size() != 64) return std::nullopt;
  auto session = storage_.GetPortalSession(SessionHash(it->second), env_.NowMs());
  if (!session.ok()) return std::nullopt;
  auto account = storage_.GetProviderAccount(session->account_id);
  if (!account.ok() || account->revoked) return std::nullopt;
  Signed s{std::move(account).value(), std::move(session).value(), {}};
  auto providers = storage_.RowsWhere("provider", "cqc_location_id", {s.account.cqc_location_id});
  if (!providers.ok()) return std::nullopt;
  for (const auto& p : *providers) {
    s.provider_ids.push_back(Str(p, "id"));
    s.location += (s.location.empty() ? "" : ", ") + Str(p, "name");
  }
  if (s.location.empty()) s.location = "CQC location " + s.account.cqc_location_id;
  return s;
}

PortalAnswer Portal::Handle(const PortalRequest& r) {
  if (r.method == "GET" && r.path == "/style.css") {
    PortalAnswer a = Html(200, PortalStylesheet());
    a.content_type = "text/css; charset=utf-8";
    return a;
  }
  if (r.method == "GET" && r.path.rfind("/invite/", 0) == 0) return Invite(r, r.path.substr(8));
  if (r.method == "POST" && r.path == "/invite") return SetPassword(r);
  if (r.method == "GET" && r.path == "/sign-in") return SignInPage(r, "");
  if (r.method == "POST" && r.path == "/sign-in") return SignIn(r);
  std::optional<Signed> s = SignedIn(r);
  if (!s) {
    if (r.method == "GET") return Redirect("/sign-in");
    return Refused(403, "Signed out", "Your session has ended. Sign in again.");
  }
  // Every form of a session carries its token: a POST without it (another site's form) changes nothing.
  if (r.method == "POST" && !TokensEqual(s->session.csrf, Field(r, "csrf"))) {
    Audit(s->account.account_id, "csrf_refused", r.path);
    return Refused(403, "Form refused", "The form was not sent from this portal. Go back and try again.");
  }
  Audit(s->account.account_id, r.method == "GET" ? "view" : "post", r.path);
  if (r.method == "GET" && (r.path == "/" || r.path == "/offers")) return Offers(*s, "");
  if (r.method == "GET" && r.path == "/vacancies") return Vacancies(*s, "");
  if (r.method == "POST" && r.path == "/sign-out") return SignOut(r, *s);
  if (r.method == "POST" && r.path == "/vacancies/upload") return Upload(r, *s);
  auto tail = [&](const std::string& prefix, const std::string& suffix) -> std::optional<std::string> {
    if (r.path.rfind(prefix, 0) != 0 || r.path.size() <= prefix.size() + suffix.size()) return std::nullopt;
    if (r.path.compare(r.path.size() - suffix.size(), suffix.size(), suffix) != 0) return std::nullopt;
    return r.path.substr(prefix.size(), r.path.size() - prefix.size() - suffix.size());
  };
  if (r.method == "POST") {
    if (auto id = tail("/offers/", "/answer")) return Answer(r, *s, *id);
    if (auto id = tail("/vacancies/bed/", "")) return SetBed(r, *s, *id);
    if (auto id = tail("/vacancies/homecare/", "")) return SetHours(r, *s, *id);
  }
  return Refused(404, "Not found", "There is no such page.");
}

PortalAnswer Portal::Invite(const PortalRequest& r, const std::string& token) {
  auto id = InviteId(token);
  auto account =
      id.ok() ? storage_.ProviderAccountByInvite(*id, env_.NowMs()) : Result<ProviderAccount>(id.status());
  if (!account.ok()) {
    return Refused(404, "Invitation not valid",
                   "This link has been used, has expired or was cancelled. Ask the council for a new one.");
  }
  PortalAnswer a;
  const std::string csrf = PreSessionToken(r, &a);
  a.body = SetPasswordPage(csrf, token, account->email, "");
  Audit(account->account_id, "view", "/invite");
  return a;
}

PortalAnswer Portal::SetPassword(const PortalRequest& r) {
  if (!PreSessionTokenOk(r)) return Refused(403, "Form refused", "The form was not sent from this portal.");
  const std::string token = Field(r, "token"), password = Field(r, "password");
  auto id = InviteId(token);
  auto account =
      id.ok() ? storage_.ProviderAccountByInvite(*id, env_.NowMs()) : Result<ProviderAccount>(id.status());
  if (!account.ok()) {
    return Refused(404, "Invitation not valid",
                   "This link has been used, has expired or was cancelled. Ask the council for a new one.");
  }
  std::string error;
  if (Status st = CheckNewPassword(password); !st.ok()) error = st.message();
  if (error.empty() && password != Field(r, "confirm")) error = "the two passwords are not the same";
  if (!error.empty()) {
    PortalAnswer a;
    a.status = 400;
    a.body = SetPasswordPage(Field(r, "csrf"), token, account->email, "Not set: " + error + ".");
    return a;
  }
  auto hash = HashPassword(password);
  if (!hash.ok()) return Refused(503, "Try again", "The portal is busy. Try again in a minute.");
  if (!storage_.SetProviderPassword(*id, *hash, env_.NowMs()).ok()) {
    return Refused(404, "Invitation not valid", "This link has already been used.");
  }
  Audit(account->account_id, "password_set", "");
  Log("portal: account " + Short(account->account_id) + " set its password");
  return Redirect("/sign-in");
}

PortalAnswer Portal::SignInPage(const PortalRequest& r, const std::string& error) {
  PortalAnswer a;
  a.status = error.empty() ? 200 : 401;
  a.body = internal::SignInPage(PreSessionToken(r, &a), error);
  return a;
}

PortalAnswer Portal::SignIn(const PortalRequest& r) {
  if (!PreSessionTokenOk(r)) return Refused(403, "Form refused", "The form was not sent from this portal.");
  static const std::string kWrong = "The email address or password is not right, or the account is locked.";
  auto account = storage_.ProviderAccountByEmail(Lower(Field(r, "email")));
  const int64_t now = env_.NowMs();
  if (!account.ok() || account->revoked || account->password_hash.empty()) {
    // The same work and words whether or not the account exists: a hash of the same cost is checked.
    static const std::string kDummy = [] {
      auto h = HashPassword(NewToken());
      return h.ok() ? *h : std::string();
    }();
    (void)VerifyPassword(kDummy, Field(r, "password"));
    return SignInPage(r, kWrong);
  }
  if (account->locked_until_ms > now) {
    Audit(account->account_id, "sign_in_locked", "");
    return SignInPage(r, kWrong);
  }
  if (!VerifyPassword(account->password_hash, Field(r, "password"))) {
    (void)storage_.RecordSignInFailure(account->account_id, now, kMaxSignInFailures, kLockoutMs);
    Audit(account->account_id, "sign_in_failed", "");
    return SignInPage(r, kWrong);
  }
  (void)storage_.ClearSignInFailures(account->account_id);
  const std::string token = NewToken();
  PortalSession session{account->account_id, NewToken(), now + kSessionMs};
  if (!storage_.AddPortalSession(SessionHash(token), session).ok())
    return Refused(503, "Try again", "The portal is busy. Try again in a minute.");
  Audit(account->account_id, "sign_in", "");
  PortalAnswer a = Redirect("/offers");
  a.set_cookies.push_back(Cookie(kSessionCookie, token, kSessionMs / 1000));
  return a;
}

PortalAnswer Portal::SignOut(const PortalRequest& r, const Signed& s) {
  (void)storage_.EndPortalSession(SessionHash(r.cookies.at(kSessionCookie)));
  Audit(s.account.account_id, "sign_out", "");
  PortalAnswer a = Redirect("/sign-in");
  a.set_cookies.push_back(Cookie(kSessionCookie, "", 0));
  return a;
}

std::optional<std::map<std::string, Value>> Portal::OwnRow(const Signed& s, const std::string& entity,
                                                           const std::string& id) {
  if (!IsUuid(id)) return std::nullopt;
  auto rows = storage_.RowsWhere(entity, "id", {id});
  if (!rows.ok() || rows->size() != 1) return std::nullopt;
  const std::string provider = Str(rows->front(), "provider_id");
  if (std::find(s.provider_ids.begin(), s.provider_ids.end(), provider) == s.provider_ids.end())
    return std::nullopt;
  return rows->front();
}

PortalAnswer Portal::Offers(const Signed& s, const std::string& flash) {
  auto offers = storage_.RowsWhere("offer", "provider_id", s.provider_ids);
  if (!offers.ok()) return Refused(503, "Try again", "The portal is busy. Try again in a minute.");
  std::vector<std::string> referral_ids;
  for (const auto& o : *offers) referral_ids.push_back(Str(o, "referral_id"));
  auto referrals = storage_.RowsWhere("referral", "id", referral_ids);
  if (!referrals.ok()) return Refused(503, "Try again", "The portal is busy. Try again in a minute.");
  std::map<std::string, const std::map<std::string, Value>*> by_id;
  for (const auto& r : *referrals) by_id[Str(r, "id")] = &r;
  auto providers = storage_.RowsWhere("provider", "id", s.provider_ids);
  std::map<std::string, std::string> names;
  if (providers.ok())
    for (const auto& p : *providers) names[Str(p, "id")] = Str(p, "name");
  const std::string today = TodayIsoDate(&env_);
  std::vector<OfferView> views;
  static const std::map<std::string, std::string> kNone;
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
  return Html(200, OffersPage(s.session.csrf, s.location, views, flash));
}

std::string Portal::PushAsProvider(const Signed& s, const std::string& entity,
                                   const std::map<std::string, Value>& row,
                                   std::map<std::string, Value> fields) {
  const std::string device_id = PortalDeviceId(s.account.account_id);
  const std::string row_id = Str(row, "id");
  const int64_t now = env_.NowMs();
  // After the hub's clock and after every clock of the row (a laptop's clock may run a little ahead of the
  // hub's): otherwise the hub would report the change applied while the merge kept the older value.
  Hlc stamp{now, 0};
  if (auto latest = Hlc::Parse(Str(row, "hlc")); latest.ok() && !(*latest < stamp)) {
    stamp = Hlc{latest->wall_ms, latest->counter + 1};
  }
  // Two requests of one account may race for the next entry number: the loser's entry is a duplicate of
  // the winner's and is sent again with the next number.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto device = storage_.GetDevice(device_id);
    if (!device.ok() || device->revoked) return "this account cannot make changes";
    Mutation m;
    m.mutation_id = NewUuidV7(&env_);
    m.kind = MutationKind::kUpsert;
    m.entity = entity;
    m.row_id = row_id;
    m.hlc = stamp.ToString();
    m.origin_device = device_id;
    m.fields = fields;
    PushRequest request;
    request.entries.push_back(OutboxEntry{device->acked_seq + 1, std::move(m)});
    PushStats stats;
    auto out = storage_.Push(*device, request, now, &stats);
    if (!out.ok() || out->results.size() != 1) return "the hub could not record it; try again";
    const MutationResult& res = out->results[0];
    if (res.outcome == static_cast<uint8_t>(Outcome::kApplied)) return "";
    if (res.outcome == static_cast<uint8_t>(Outcome::kRejected)) return res.reason;
  }
  return "the hub could not record it; try again";
}

PortalAnswer Portal::Answer(const PortalRequest& r, const Signed& s, const std::string& offer_id) {
  auto offer = OwnRow(s, "offer", offer_id);
  // Another provider's offer looks exactly like no offer at all.
  if (!offer) return Refused(404, "Not found", "There is no such offer for you.");
  const std::string answer = Field(r, "answer");
  std::map<std::string, Value> fields = {{"answered_at", IsoInstantOfMs(env_.NowMs())}};
  if (answer == "accept") {
    fields["status"] = std::string("accepted");
  } else if (answer == "decline") {
    static const std::set<std::string> kReasons = {
        "no_capacity", "cannot_meet_needs", "not_compatible", "infection", "staffing", "price", "other"};
    const std::string reason = Field(r, "reason"), note = Field(r, "note");
    if (!kReasons.count(reason)) return Refused(400, "Not recorded", "Choose a reason for declining.");
    if (note.size() > 500) return Refused(400, "Not recorded", "The note is longer than 500 characters.");
    fields["status"] = std::string("declined");
    fields["decline_reason"] = reason;
    fields["note"] = note;
  } else {
    return Refused(400, "Not recorded", "Accept or decline the offer.");
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

PortalAnswer Portal::Vacancies(const Signed& s, const std::string& flash) {
  auto beds = storage_.RowsWhere("bed", "provider_id", s.provider_ids);
  auto caps = storage_.RowsWhere("homecare_capacity", "provider_id", s.provider_ids);
  if (!beds.ok() || !caps.ok())
    return Refused(503, "Try again", "The portal is busy. Try again in a minute.");
  std::vector<BedView> bv;
  for (const auto& b : *beds) {
    bv.push_back({Str(b, "id"), "", Str(b, "room"), Words(Str(b, "category")), Str(b, "status"),
                  Str(b, "unavailable_reason")});
  }
  std::sort(bv.begin(), bv.end(), [](const BedView& a, const BedView& b) { return a.room < b.room; });
  std::vector<HoursView> hv;
  for (const auto& c : *caps) {
    double h = 0;
    if (auto it = c.find("hours_per_week"); it != c.end()) {
      if (auto* d = std::get_if<double>(&it->second)) h = *d;
      if (auto* i = std::get_if<int64_t>(&it->second)) h = static_cast<double>(*i);
    }
    hv.push_back({Str(c, "id"), "", Str(c, "zone"), Str(c, "band"), fmt::format("{:g}", h)});
  }
  return Html(200, VacanciesPage(s.session.csrf, s.location, bv, hv, flash));
}

namespace {
// The fields that mark a bed vacant or unavailable from the portal (a hold is its maker's: hub_rules.h).
std::map<std::string, Value> BedStatusFields(const std::string& status, const std::string& today) {
  std::map<std::string, Value> f = {{"status", status}, {"status_since", today}};
  f["unavailable_reason"] = std::string(status == "unavailable" ? "other" : "");
  return f;
}
}  // namespace

PortalAnswer Portal::SetBed(const PortalRequest& r, const Signed& s, const std::string& bed_id) {
  auto bed = OwnRow(s, "bed", bed_id);
  if (!bed) return Refused(404, "Not found", "There is no such bed for you.");
  const std::string status = Field(r, "status");
  if (status != "vacant" && status != "unavailable")
    return Refused(400, "Not recorded", "Choose vacant or unavailable.");
  const std::string refused = PushAsProvider(s, "bed", *bed, BedStatusFields(status, TodayIsoDate(&env_)));
  Audit(s.account.account_id, refused.empty() ? "bed_" + status : "bed_refused", bed_id);
  PortalAnswer a = Vacancies(s, refused.empty() ? "Saved." : "Not saved: " + refused + ".");
  if (!refused.empty()) a.status = 409;
  return a;
}

PortalAnswer Portal::SetHours(const PortalRequest& r, const Signed& s, const std::string& capacity_id) {
  auto capacity = OwnRow(s, "homecare_capacity", capacity_id);
  if (!capacity) return Refused(404, "Not found", "There are no such homecare hours for you.");
  double hours = -1;
  try {
    size_t used = 0;
    hours = std::stod(Field(r, "hours"), &used);
    if (used != Field(r, "hours").size()) hours = -1;
  } catch (const std::exception&) {
  }
  if (!(hours >= 0 && hours <= 1000))
    return Refused(400, "Not recorded", "Give the hours as a number from 0 to 1000.");
  const std::string refused = PushAsProvider(s, "homecare_capacity", *capacity, {{"hours_per_week", hours}});
  Audit(s.account.account_id, refused.empty() ? "hours_set" : "hours_refused", capacity_id);
  PortalAnswer a = Vacancies(s, refused.empty() ? "Saved." : "Not saved: " + refused + ".");
  if (!refused.empty()) a.status = 409;
  return a;
}

// The capacity return as a CSV file: "type,id,value" lines, a bed by its id or room, a homecare row by its
// id or "ZONE/BAND". Every line is checked before any is pushed: a file with one bad line changes nothing.
PortalAnswer Portal::Upload(const PortalRequest& r, const Signed& s) {
  auto beds = storage_.RowsWhere("bed", "provider_id", s.provider_ids);
  auto caps = storage_.RowsWhere("homecare_capacity", "provider_id", s.provider_ids);
  if (!beds.ok() || !caps.ok())
    return Refused(503, "Try again", "The portal is busy. Try again in a minute.");
  struct Change {
    std::string entity;
    const std::map<std::string, Value>* row;
    std::map<std::string, Value> fields;
  };
  std::vector<Change> changes;
  std::istringstream in(r.upload);
  std::string line;
  int n = 0;
  const std::string today = TodayIsoDate(&env_);
  auto bad = [&](const std::string& why) {
    PortalAnswer a = Vacancies(s, fmt::format("Nothing saved: line {} {}.", n, why));
    a.status = 400;
    return a;
  };
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (n == 1 && line == "type,id,value")) continue;
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
    if (cells.size() != 3) return bad("does not have three values (type,id,value)");
    if (cells[0] == "bed") {
      auto it = std::find_if(beds->begin(), beds->end(), [&](const auto& b) {
        return Str(b, "id") == cells[1] || Str(b, "room") == cells[1];
      });
      if (it == beds->end()) return bad("names no bed of yours");
      if (cells[2] != "vacant" && cells[2] != "unavailable")
        return bad("gives a bed status other than vacant or unavailable");
      changes.push_back({"bed", &*it, BedStatusFields(cells[2], today)});
    } else if (cells[0] == "homecare") {
      auto it =
          std::find_if(caps->begin(), caps->end(), [&](const auto& c) { return Str(c, "id") == cells[1]; });
      if (it == caps->end()) return bad("names no homecare hours of yours");
      double h = -1;
      try {
        h = std::stod(cells[2]);
      } catch (const std::exception&) {
      }
      if (!(h >= 0 && h <= 1000)) return bad("gives hours that are not a number from 0 to 1000");
      changes.push_back({"homecare_capacity", &*it, {{"hours_per_week", h}}});
    } else {
      return bad("is neither a bed nor a homecare line");
    }
  }
  int saved = 0;
  std::string refused;
  for (auto& c : changes) {
    const std::string why = PushAsProvider(s, c.entity, *c.row, std::move(c.fields));
    if (why.empty()) {
      ++saved;
    } else if (refused.empty()) {
      refused = why;
    }
  }
  Audit(s.account.account_id, "capacity_return",
        std::to_string(saved) + " of " + std::to_string(changes.size()));
  return Vacancies(s, fmt::format("Capacity return: {} of {} changes saved{}.", saved, changes.size(),
                                  refused.empty() ? "" : "; the hub refused the rest: " + refused));
}

}  // namespace berth::sync::internal
