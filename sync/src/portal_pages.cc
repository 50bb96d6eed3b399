// The provider portal's HTML (portal_pages.h): one function per page and the stylesheet they share.
#include "portal_pages.h"

#include <fmt/format.h>

namespace berth::sync::internal {

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const std::string& PortalStylesheet() {
  // Colours meet WCAG 2.2 AA contrast (text at least 4.5:1 on its background); focus is always visible.
  static const std::string kCss =
      R"(body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff;line-height:1.5}
header{background:#1d3557;color:#fff;padding:.75rem 1.5rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
header a,header button{color:#fff;font-size:1rem}
header p{margin:0;font-weight:700}
nav ul{list-style:none;display:flex;gap:1rem;margin:0;padding:0}
main{padding:1rem 1.5rem;max-width:60rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:0}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;color:#1b1b1b;padding:.5rem}
a{color:#0b4f8a}
:focus{outline:3px solid #f2a900;outline-offset:2px}
section.offer{border:1px solid #6b6b6b;border-radius:4px;padding:1rem;margin-bottom:1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1rem}
dt{font-weight:700}dd{margin:0}
label{display:block;font-weight:700;margin-top:.5rem}
input,select,textarea{font-size:1rem;padding:.3rem;border:1px solid #4a4a4a;border-radius:3px}
button{font-size:1rem;padding:.4rem 1rem;border-radius:3px;border:1px solid #1d3557;background:#1d3557;color:#fff;cursor:pointer;margin-top:.5rem}
button.secondary{background:#fff;color:#1d3557}
header button{background:transparent;border:1px solid #fff}
table{border-collapse:collapse;margin-bottom:1.5rem}th,td{border:1px solid #6b6b6b;padding:.4rem .6rem;text-align:left}
.flash{border-left:6px solid #1d6b35;background:#eef7f0;padding:.5rem 1rem}
.error{border-left:6px solid #b3261e;background:#fdeeee;padding:.5rem 1rem}
.status{font-weight:700}
)";
  return kCss;
}

namespace {

std::string Layout(const std::string& title, const std::string& body, const std::string& session_csrf) {
  std::string nav;
  if (!session_csrf.empty()) {
    nav = fmt::format(
        R"(<nav aria-label="Portal"><ul><li><a href="/offers">Offers</a></li><li><a href="/vacancies">My vacancies</a></li></ul></nav>
<form method="post" action="/sign-out"><input type="hidden" name="csrf" value="{}"><button type="submit">Sign out</button></form>)",
        HtmlEscape(session_csrf));
  }
  return fmt::format(R"(<!DOCTYPE html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{} - Berth provider portal</title><link rel="stylesheet" href="/style.css"></head>
<body><a class="skip" href="#main">Skip to main content</a>
<header><p>Berth provider portal</p>{}</header>
<main id="main">
{}
</main>
</body>
</html>
)",
                     HtmlEscape(title), nav, body);
}

std::string Notice(const std::string& flash, const char* cls) {
  if (flash.empty()) return "";
  return fmt::format(R"(<p class="{}" role="status">{}</p>)", cls, HtmlEscape(flash));
}

std::string Row(const char* term, const std::string& value) {
  return fmt::format("<dt>{}</dt><dd>{}</dd>", term, HtmlEscape(value.empty() ? "not given" : value));
}

}  // namespace

std::string SignInPage(const std::string& csrf, const std::string& error) {
  return Layout("Sign in",
                fmt::format(R"(<h1>Sign in</h1>
{}<form method="post" action="/sign-in">
<input type="hidden" name="csrf" value="{}">
<label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<div><button type="submit">Sign in</button></div>
</form>)",
                            Notice(error, "error"), HtmlEscape(csrf)),
                "");
}

std::string SetPasswordPage(const std::string& csrf, const std::string& token, const std::string& email,
                            const std::string& error) {
  return Layout("Set your password",
                fmt::format(R"(<h1>Set your password</h1>
<p>Your account: {}. Choose a password of at least 12 characters.</p>
{}<form method="post" action="/invite">
<input type="hidden" name="csrf" value="{}"><input type="hidden" name="token" value="{}">
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required>
<label for="confirm">New password again</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="12" required>
<div><button type="submit">Set password</button></div>
</form>)",
                            HtmlEscape(email), Notice(error, "error"), HtmlEscape(csrf), HtmlEscape(token)),
                "");
}

std::string MessagePage(const std::string& title, const std::string& text) {
  return Layout(title,
                fmt::format("<h1>{}</h1><p>{}</p><p><a href=\"/sign-in\">Sign in</a></p>", HtmlEscape(title),
                            HtmlEscape(text)),
                "");
}

std::string OffersPage(const std::string& csrf, const std::string& location,
                       const std::vector<OfferView>& offers, const std::string& flash) {
  std::string body = fmt::format("<h1>Offers for {}</h1>\n{}", HtmlEscape(location), Notice(flash, "flash"));
  if (offers.empty()) body += "<p>No offers have been sent to you.</p>";
  for (const auto& o : offers) {
    const std::string h = "offer-" + HtmlEscape(o.id);
    body += fmt::format(
        R"(<section class="offer" aria-labelledby="{0}-h"><h2 id="{0}-h">{1} offer, sent {2}</h2>
<p>Status: <span class="status">{3}</span>{4}</p><dl>)",
        h, HtmlEscape(o.kind), HtmlEscape(o.sent_at), HtmlEscape(o.status),
        o.status == "pending" ? " - please answer by " + HtmlEscape(o.respond_by) : std::string());
    body += Row("Location", o.location) + Row("Needs", o.needs) + Row("Care category", o.category) +
            Row("Area", o.area) + Row("Age band", o.age_band) + Row("Gender", o.gender) +
            Row("Start date", o.start_date) + Row("Funding route", o.funding) +
            Row("Infection status", o.infection);
    if (!o.homecare_pattern.empty()) body += Row("Homecare pattern", o.homecare_pattern);
    if (!o.decline_reason.empty()) body += Row("Decline reason", o.decline_reason);
    body += "</dl>";
    if (o.status == "pending") {
      body += fmt::format(R"(<form method="post" action="/offers/{0}/answer">
<input type="hidden" name="csrf" value="{1}"><input type="hidden" name="answer" value="accept">
<button type="submit">Accept this offer</button></form>
<form method="post" action="/offers/{0}/answer">
<input type="hidden" name="csrf" value="{1}"><input type="hidden" name="answer" value="decline">
<label for="{2}-reason">Reason for declining</label>
<select id="{2}-reason" name="reason" required><option value="no_capacity">No capacity</option><option value="cannot_meet_needs">Cannot meet needs</option><option value="not_compatible">Not compatible with current residents</option><option value="infection">Infection control</option><option value="staffing">Staffing</option><option value="price">Price</option><option value="other">Other</option></select>
<label for="{2}-note">Note (optional; do not write the person's details)</label>
<textarea id="{2}-note" name="note" rows="2" cols="40" maxlength="500"></textarea>
<div><button type="submit" class="secondary">Decline this offer</button></div></form>)",
                          HtmlEscape(o.id), HtmlEscape(csrf), h);
    }
    body += "</section>\n";
  }
  return Layout("Offers", body, csrf);
}

std::string VacanciesPage(const std::string& csrf, const std::string& location,
                          const std::vector<BedView>& beds, const std::vector<HoursView>& hours,
                          const std::string& flash) {
  std::string body =
      fmt::format("<h1>My vacancies: {}</h1>\n{}", HtmlEscape(location), Notice(flash, "flash"));
  if (!beds.empty()) {
    body +=
        R"(<h2>Beds</h2><table><caption>Each bed's status</caption><thead><tr><th scope="col">Room</th><th scope="col">Category</th><th scope="col">Status</th><th scope="col">Change</th></tr></thead><tbody>)";
    for (const auto& b : beds) {
      const std::string id = HtmlEscape(b.id);
      std::string options;
      for (const char* s : {"vacant", "unavailable"}) {
        options += fmt::format("<option value=\"{0}\"{1}>{0}</option>", s, b.status == s ? " selected" : "");
      }
      body += fmt::format(
          R"(<tr><td>{1}</td><td>{2}</td><td>{3}</td><td><form method="post" action="/vacancies/bed/{0}"><input type="hidden" name="csrf" value="{4}"><label for="bed-{0}">New status of room {1}</label><select id="bed-{0}" name="status">{5}</select> <button type="submit">Save</button></form></td></tr>)",
          id, HtmlEscape(b.room), HtmlEscape(b.category),
          HtmlEscape(b.status + (b.unavailable_reason.empty() ? "" : " (" + b.unavailable_reason + ")")),
          HtmlEscape(csrf), options);
    }
    body += "</tbody></table>";
  }
  if (!hours.empty()) {
    body +=
        R"(<h2>Homecare hours</h2><table><caption>Free hours a week in each zone and band</caption><thead><tr><th scope="col">Zone</th><th scope="col">Band</th><th scope="col">Free hours a week</th></tr></thead><tbody>)";
    for (const auto& h : hours) {
      const std::string id = HtmlEscape(h.id);
      body += fmt::format(
          R"(<tr><td>{1}</td><td>{2}</td><td><form method="post" action="/vacancies/homecare/{0}"><input type="hidden" name="csrf" value="{3}"><label for="hours-{0}">Hours in {1}, {2}</label><input id="hours-{0}" name="hours" type="number" min="0" max="1000" step="0.5" value="{4}"> <button type="submit">Save</button></form></td></tr>)",
          id, HtmlEscape(h.zone), HtmlEscape(h.band), HtmlEscape(csrf), HtmlEscape(h.hours));
    }
    body += "</tbody></table>";
  }
  if (beds.empty() && hours.empty())
    body += "<p>The council holds no beds or homecare hours for you yet.</p>";
  body += fmt::format(R"(<h2>Upload a capacity return</h2>
<p>A CSV file with the header <code>type,id,value</code>: one line per bed (<code>bed,ROOM,vacant</code> or <code>bed,ROOM,unavailable</code>) and per zone and band (<code>homecare,ZONE/BAND,HOURS</code>, e.g. <code>homecare,Huntingdon/morning,12</code>). A file with a line in error changes nothing.</p>
<form method="post" action="/vacancies/upload" enctype="multipart/form-data"><input type="hidden" name="csrf" value="{}">
<label for="csv">Capacity return (CSV)</label><input id="csv" name="csv" type="file" accept=".csv,text/csv" required>
<div><button type="submit">Upload</button></div></form>)",
                      HtmlEscape(csrf));
  return Layout("My vacancies", body, csrf);
}

}  // namespace berth::sync::internal
