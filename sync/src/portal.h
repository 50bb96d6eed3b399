// The provider portal (sync/PROTOCOL.md section 14): the pages a care home or homecare agency uses to
// answer its offers and keep its vacancies up to date, served by the hub. Portal answers one request,
// already parsed, from the hub's storage: HTTPS and cookies' transport are portal_server.cc's. Every
// answer and vacancy change is pushed as the account's hub device through HubStorage::Push, so the hub's
// rules (hub_rules.h) decide it as they decide a laptop's change, and devices pull it like any other.
// One file per job: portal.cc (routing, sessions, sign-in, pushing changes), portal_offers.cc (offers and
// answers), portal_vacancies.cc (beds, homecare hours, the capacity return). Private to berth_sync.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "berth/schema/env.h"
#include "berth/sync/hub_storage.h"

namespace berth::sync::internal {

struct PortalRequest {
  std::string method;  // GET | POST
  std::string peer;    // the client's address
  std::string path;
  std::map<std::string, std::string> form;     // a POST's fields (urlencoded or multipart)
  std::map<std::string, std::string> cookies;  // by name
  std::string upload;                          // a multipart POST's file "csv", if any
};

struct PortalAnswer {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::string location;                  // a redirect's target (303)
  std::vector<std::string> set_cookies;  // whole Set-Cookie values
};

// The security headers every answer carries (CSP, no framing, no sniffing, no caching, HSTS).
std::vector<std::pair<std::string, std::string>> PortalSecurityHeaders();

// What the portal's files share (portal.cc): a page, a redirect (303), a refusal page, a form's field (""
// when absent), a code in words ("cannot_meet_needs" -> "cannot meet needs", "a,b" -> "a, b").
PortalAnswer PortalHtml(int status, std::string body);
PortalAnswer PortalRedirect(const std::string& to);
PortalAnswer PortalRefused(int status, const std::string& title, const std::string& text);
std::string FormField(const PortalRequest& r, const std::string& name);
std::string CodeWords(const std::string& code);

class Portal {
 public:
  // `sign_in_failures_per_address`: failed sign-ins one address may make in 15 minutes (any accounts),
  // counted in this process, before its sign-ins are refused unread (429).
  Portal(HubStorage& storage, Env& env, int sign_in_failures_per_address)
      : storage_(storage), env_(env), failures_per_address_(sign_in_failures_per_address) {}
  PortalAnswer Handle(const PortalRequest& request);

 private:
  struct Signed {
    ProviderAccount account;
    PortalSession session;
    std::vector<std::string> provider_ids;  // the rows of `provider` that are this account's location
    std::string location;                   // their names, for the pages' headings
  };
  std::optional<Signed> SignedIn(const PortalRequest& r);
  // The account an unused, unexpired invitation link belongs to.
  Result<ProviderAccount> AccountOfInvite(const std::string& token);
  PortalAnswer Invite(const PortalRequest& r, const std::string& token);
  PortalAnswer SetPassword(const PortalRequest& r);
  PortalAnswer SignInPage(const PortalRequest& r, const std::string& error);
  PortalAnswer SignIn(const PortalRequest& r);
  PortalAnswer SignOut(const PortalRequest& r, const Signed& s);
  PortalAnswer Offers(const Signed& s, const std::string& flash);
  PortalAnswer Answer(const PortalRequest& r, const Signed& s, const std::string& offer_id);
  PortalAnswer Vacancies(const Signed& s, const std::string& flash);
  PortalAnswer SetBed(const PortalRequest& r, const Signed& s, const std::string& bed_id);
  PortalAnswer SetHours(const PortalRequest& r, const Signed& s, const std::string& capacity_id);
  PortalAnswer Upload(const PortalRequest& r, const Signed& s);
  // Pushes one change of `row` (as OwnRow read it) as the account's hub device, stamped after the row's
  // latest clock so that it wins the merge: "" when the hub applied it, else its reason.
  std::string PushAsProvider(const Signed& s, const std::string& entity,
                             const std::map<std::string, Value>& row, std::map<std::string, Value> fields);
  // The row of `entity` with this id if it belongs to one of the account's providers.
  std::optional<std::map<std::string, Value>> OwnRow(const Signed& s, const std::string& entity,
                                                     const std::string& id);
  void Audit(const std::string& account_id, const std::string& action, const std::string& object);
  // The double-submit token of the forms shown before a session exists (sign in, set a password).
  std::string PreSessionToken(const PortalRequest& r, PortalAnswer* answer);
  bool PreSessionTokenOk(const PortalRequest& r);

  // Failed sign-ins by address in the last 15 minutes (times, oldest first).
  bool AddressThrottled(const std::string& peer, int64_t now);
  void CountAddressFailure(const std::string& peer, int64_t now);

  HubStorage& storage_;
  Env& env_;
  const int failures_per_address_;
  std::mutex failures_mu_;
  std::map<std::string, std::deque<int64_t>> failures_;
};

}  // namespace berth::sync::internal
