// The provider portal's request handling (portal.h): routing, sessions and CSRF, invites and sign-in, the
// account's own rows, and the changes it pushes through the hub's rules. The offers' pages are
// portal_offers.cc's, the vacancies' portal_vacancies.cc's.
#include "portal.h"

#include <fmt/format.h>

#include <algorithm>

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

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

PortalAnswer PortalHtml(int status, std::string body) {
  PortalAnswer a;
  a.status = status;
  a.body = std::move(body);
  return a;
}

PortalAnswer PortalRedirect(const std::string& to) {
  PortalAnswer a;
  a.status = 303;
  a.location = to;
  return a;
}

PortalAnswer PortalRefused(int status, const std::string& title, const std::string& text) {
  return PortalHtml(status, MessagePage(title, text));
}

std::string FormField(const PortalRequest& r, const std::string& name) {
  auto it = r.form.find(name);
  return it == r.form.end() ? std::string() : it->second;
}

// Readable codes: "cannot_meet_needs" -> "cannot meet needs", "dementia,hoist" -> "dementia, hoist".
std::string CodeWords(const std::string& code) {
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
  return it != r.cookies.end() && TokensEqual(it->second, FormField(r, "csrf"));
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
    PortalAnswer a = PortalHtml(200, PortalStylesheet());
    a.content_type = "text/css; charset=utf-8";
    return a;
  }
  if (r.method == "GET" && r.path.rfind("/invite/", 0) == 0) return Invite(r, r.path.substr(8));
  if (r.method == "POST" && r.path == "/invite") return SetPassword(r);
  if (r.method == "GET" && r.path == "/sign-in") return SignInPage(r, "");
  if (r.method == "POST" && r.path == "/sign-in") return SignIn(r);
  std::optional<Signed> s = SignedIn(r);
  if (!s) {
    if (r.method == "GET") return PortalRedirect("/sign-in");
    return PortalRefused(403, "Signed out", "Your session has ended. Sign in again.");
  }
  // Every form of a session carries its token: a POST without it (another site's form) changes nothing.
  if (r.method == "POST" && !TokensEqual(s->session.csrf, FormField(r, "csrf"))) {
    Audit(s->account.account_id, "csrf_refused", r.path);
    return PortalRefused(403, "Form refused",
                         "The form was not sent from this portal. Go back and try again.");
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
  return PortalRefused(404, "Not found", "There is no such page.");
}

Result<ProviderAccount> Portal::AccountOfInvite(const std::string& token) {
  auto id = InviteId(token);
  if (!id.ok()) return id.status();
  return storage_.ProviderAccountByInvite(*id, env_.NowMs());
}

namespace {
PortalAnswer InviteNotValid() {
  return PortalRefused(
      404, "Invitation not valid",
      "This link has been used, has expired or was cancelled. Ask the council for a new one.");
}
}  // namespace

PortalAnswer Portal::Invite(const PortalRequest& r, const std::string& token) {
  auto account = AccountOfInvite(token);
  if (!account.ok()) return InviteNotValid();
  PortalAnswer a;
  const std::string csrf = PreSessionToken(r, &a);
  a.body = SetPasswordPage(csrf, token, account->email, "");
  Audit(account->account_id, "view", "/invite");
  return a;
}

PortalAnswer Portal::SetPassword(const PortalRequest& r) {
  if (!PreSessionTokenOk(r))
    return PortalRefused(403, "Form refused", "The form was not sent from this portal.");
  const std::string token = FormField(r, "token"), password = FormField(r, "password");
  auto account = AccountOfInvite(token);
  if (!account.ok()) return InviteNotValid();
  std::string error;
  if (Status st = CheckNewPassword(password); !st.ok()) error = st.message();
  if (error.empty() && password != FormField(r, "confirm")) error = "the two passwords are not the same";
  if (!error.empty()) {
    PortalAnswer a;
    a.status = 400;
    a.body = SetPasswordPage(FormField(r, "csrf"), token, account->email, "Not set: " + error + ".");
    return a;
  }
  auto hash = HashPassword(password);
  if (!hash.ok()) return PortalRefused(503, "Try again", "The portal is busy. Try again in a minute.");
  const Bytes invite = *InviteId(token);  // well formed: AccountOfInvite found its account
  if (!storage_.SetProviderPassword(invite, *hash, env_.NowMs()).ok()) {
    return PortalRefused(404, "Invitation not valid", "This link has already been used.");
  }
  Audit(account->account_id, "password_set", "");
  Log("portal: account " + Short(account->account_id) + " set its password");
  return PortalRedirect("/sign-in");
}

PortalAnswer Portal::SignInPage(const PortalRequest& r, const std::string& error) {
  PortalAnswer a;
  a.status = error.empty() ? 200 : 401;
  a.body = internal::SignInPage(PreSessionToken(r, &a), error);
  return a;
}

bool Portal::AddressThrottled(const std::string& peer, int64_t now) {
  std::lock_guard<std::mutex> lock(failures_mu_);
  auto it = failures_.find(peer);
  if (it == failures_.end()) return false;
  while (!it->second.empty() && it->second.front() < now - kLockoutMs) it->second.pop_front();
  if (it->second.empty()) {
    failures_.erase(it);
    return false;
  }
  return static_cast<int>(it->second.size()) >= failures_per_address_;
}

void Portal::CountAddressFailure(const std::string& peer, int64_t now) {
  std::lock_guard<std::mutex> lock(failures_mu_);
  // Bounded: past 10,000 addresses, those with no failure in the window go first.
  if (failures_.size() > 10000) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      it = it->second.back() < now - kLockoutMs ? failures_.erase(it) : std::next(it);
    }
  }
  auto& times = failures_[peer];
  times.push_back(now);
  while (static_cast<int>(times.size()) > failures_per_address_) times.pop_front();
}

PortalAnswer Portal::SignIn(const PortalRequest& r) {
  if (!PreSessionTokenOk(r))
    return PortalRefused(403, "Form refused", "The form was not sent from this portal.");
  if (AddressThrottled(r.peer, env_.NowMs())) {
    Log("portal: sign-ins from one address refused for a while (too many failures)");
    return PortalRefused(429, "Too many attempts",
                         "Too many sign-ins failed from your network. Try again in 15 minutes.");
  }
  static const std::string kWrong = "The email address or password is not right, or the account is locked.";
  auto account = storage_.ProviderAccountByEmail(Lower(FormField(r, "email")));
  const int64_t now = env_.NowMs();
  if (!account.ok() || account->revoked || account->password_hash.empty()) {
    // The same work and words whether or not the account exists: a hash of the same cost is checked.
    static const std::string kDummy = [] {
      auto h = HashPassword(NewToken());
      return h.ok() ? *h : std::string();
    }();
    (void)VerifyPassword(kDummy, FormField(r, "password"));
    CountAddressFailure(r.peer, now);
    return SignInPage(r, kWrong);
  }
  if (account->locked_until_ms > now) {
    Audit(account->account_id, "sign_in_locked", "");
    CountAddressFailure(r.peer, now);
    return SignInPage(r, kWrong);
  }
  if (!VerifyPassword(account->password_hash, FormField(r, "password"))) {
    (void)storage_.RecordSignInFailure(account->account_id, now, kMaxSignInFailures, kLockoutMs);
    Audit(account->account_id, "sign_in_failed", "");
    CountAddressFailure(r.peer, now);
    return SignInPage(r, kWrong);
  }
  (void)storage_.ClearSignInFailures(account->account_id);
  const std::string token = NewToken();
  PortalSession session{account->account_id, NewToken(), now + kSessionMs};
  if (!storage_.AddPortalSession(SessionHash(token), session).ok())
    return PortalRefused(503, "Try again", "The portal is busy. Try again in a minute.");
  Audit(account->account_id, "sign_in", "");
  PortalAnswer a = PortalRedirect("/offers");
  a.set_cookies.push_back(Cookie(kSessionCookie, token, kSessionMs / 1000));
  return a;
}

PortalAnswer Portal::SignOut(const PortalRequest& r, const Signed& s) {
  (void)storage_.EndPortalSession(SessionHash(r.cookies.at(kSessionCookie)));
  Audit(s.account.account_id, "sign_out", "");
  PortalAnswer a = PortalRedirect("/sign-in");
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

}  // namespace berth::sync::internal
