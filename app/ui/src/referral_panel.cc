// The referral screen (Ctrl+2): a referral's details and needs, edited through app/core's referrals.

#include "referral_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <cctype>

#include <map>

#include "berth/core/geo.h"
#include "berth/core/nhs_number.h"
#include "berth/core/referrals.h"
#include "berth/schema/repository.h"
#include "keys.h"
#include "theme.h"

namespace berth::ui {

namespace {

struct NeedGroup {
  const char* title;
  std::vector<Need> needs;
};
// Grouped as a broker reads a referral: what nursing is needed, how the person thinks and behaves, how
// they move, and what the room must have.
const std::vector<NeedGroup>& NeedGroups() {
  static const std::vector<NeedGroup> kGroups = {
      {"Health and nursing",
       {Need::kNursing, Need::kOxygen, Need::kPeg, Need::kCatheter, Need::kDiabetes, Need::kEndOfLife}},
      {"Memory, mood and behaviour",
       {Need::kDementia, Need::kBehaviourThatChallenges, Need::kLearningDisability, Need::kMentalHealth}},
      {"Moving and handling", {Need::kHoist, Need::kDoubleUp, Need::kBariatric, Need::kPhysicalDisability}},
      {"Room", {Need::kEnSuite, Need::kGroundFloor}},
  };
  return kGroups;
}

std::string Label(std::string_view code) {
  std::string s(code);
  for (char& c : s) c = c == '_' ? ' ' : c;
  if (s == "la" || s == "chc" ||
      s == "fnc") {  // acronyms: LA-funded, Continuing Healthcare, Funded Nursing Care
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

template <class E>
void EnumCombo(const char* label, E* value) {
  const std::string preview = Label(ToString(*value));
  if (BeginComboFit(label, preview.empty() ? "(not given)" : preview, ImGui::GetFontSize() * 10)) {
    for (size_t i = 0; i < EnumCount<E>(); ++i) {
      const auto v = static_cast<E>(i);
      const std::string text = Label(ToString(v));
      if (ImGui::Selectable(text.empty() ? "(not given)" : text.c_str(), *value == v)) *value = v;
    }
    ImGui::EndCombo();
  }
}

void Problem(const std::string& p) {
  if (p.empty()) return;
  ImGui::SameLine();
  ImGui::TextColored(ErrorTextColour(), "%s", p.c_str());
}

// The form's label for a referral field, as app/core names it.
std::string FieldLabel(const std::string& field) {
  static const std::map<std::string, std::string> kLabels = {
      {"nhs_number", "NHS number"},
      {"name", "Name"},
      {"date_of_birth", "Date of birth"},
      {"discharge_ready_date", "Discharge-ready date"},
      {"created_date", "Created"},
      {"category", "Category"},
      {"homecare", "Homecare"},
      {"postcode", "Postcode"},
      {"hospital", "Hospital"},
      {"preferred_postcode", "Preferred postcode"},
      {"max_distance_km", "Maximum distance"},
      {"weekly_budget", "Weekly budget"},
  };
  auto it = kLabels.find(field);
  return it == kLabels.end() ? field : it->second;
}

// The hospital sites the form offers: community first, then app/core's referring sites.
int SiteCount() {
  return static_cast<int>(core::ReferringHospitals().size()) + 1;
}
std::string SiteName(int i) {
  if (i == 0) return "Community (not in hospital)";
  const core::ReferringSite& s = core::ReferringHospitals()[static_cast<size_t>(i - 1)];
  return std::string(s.name) + ", " + s.town;
}
const char* SiteCode(int i) {
  return i == 0 ? "" : core::ReferringHospitals()[static_cast<size_t>(i - 1)].code;
}
const char* SitePostcode(int i) {
  return i == 0 ? "" : core::ReferringHospitals()[static_cast<size_t>(i - 1)].postcode;
}

}  // namespace

std::string NormalisePostcode(const std::string& text) {
  std::string s;
  for (char c : text) {
    if (c != ' ') s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (s.size() >= 5 && s.size() <= 7) s.insert(s.size() - 3, " ");
  return s;
}

std::string PostcodeProblem(const std::string& text) {
  return core::PostcodeProblem(text);
}

std::string DateProblem(const std::string& text) {
  return core::DateProblem(text);
}

void ReferralPanel::Clear() {
  open_ = false;
  editing_id_.clear();
  is_new_ = true;
  populated_ = false;
  dirty_ = false;
  draft_ = Referral{};
  for (std::string* s : {&nhs_, &name_, &dob_, &postcode_, &preferred_, &drd_, &broker_, &notes_}) s->clear();
  max_km_ = budget_pounds_ = 0;
  hospital_ = 0;
  handback_reason_ = HandbackReason::kNone;
  handback_end_.clear();
  cancel_reason_ = CancelReason::kNone;
}

void ReferralPanel::Open(const std::string& id) {
  Clear();
  open_ = true;
  editing_id_ = id;
  is_new_ = id.empty();
  populated_ = is_new_;
  focus_first_ = true;
  if (is_new_) {
    draft_.category = BedCategory::kResidential;
    draft_.created_date = TodayIsoDate();
    drd_ = TodayIsoDate();
  }
}

void ReferralPanel::OnSaved(const std::string& id) {
  editing_id_ = id;
  is_new_ = false;
  dirty_ = false;
}

void ReferralPanel::Populate(const Referral& r) {
  draft_ = r;
  nhs_ = r.nhs_number;
  name_ = r.name;
  dob_ = r.date_of_birth;
  postcode_ = r.postcode;
  preferred_ = r.preferred_postcode;
  drd_ = r.discharge_ready_date;
  broker_ = r.assigned_broker;
  notes_ = r.notes;
  max_km_ = static_cast<float>(r.max_distance_km);
  budget_pounds_ = static_cast<float>(r.weekly_budget_pence) / 100.0f;
  hospital_ = 0;
  for (int i = 1; i < SiteCount(); ++i) {
    if (r.location_kind == LocationKind::kHospital && r.hospital_code == SiteCode(i)) hospital_ = i;
  }
  populated_ = true;
}

std::vector<std::string> ReferralPanel::Problems() const {
  std::vector<std::string> out;
  const Referral r = Edited();
  auto geo = core::DefaultGeography();
  for (const core::FieldProblem& p : core::ReferralProblems(r, geo.ok() ? *geo : nullptr, TodayIsoDate()))
    out.push_back(FieldLabel(p.field) + ": " + p.message);
  if (max_km_ < 0) out.push_back("Maximum distance: cannot be negative");
  if (budget_pounds_ < 0) out.push_back("Weekly budget: cannot be negative");
  return out;
}

std::string ReferralPanel::ProblemWith(const std::string& field) const {
  auto geo = core::DefaultGeography();
  for (const core::FieldProblem& p :
       core::ReferralProblems(Edited(), geo.ok() ? *geo : nullptr, TodayIsoDate())) {
    if (p.field == field) return p.message;
  }
  return "";
}

Referral ReferralPanel::Edited() const {
  Referral r = draft_;
  auto nhs = core::ParseNhsNumber(nhs_);
  r.nhs_number = nhs.ok() ? *nhs : nhs_;
  r.name = name_;
  r.date_of_birth = dob_;
  r.postcode = postcode_.empty() ? "" : NormalisePostcode(postcode_);
  r.preferred_postcode = preferred_.empty() ? "" : NormalisePostcode(preferred_);
  r.discharge_ready_date = drd_;
  r.assigned_broker = broker_;
  r.notes = notes_;
  r.max_distance_km = std::max(0.0f, max_km_);
  r.weekly_budget_pence = static_cast<int64_t>(std::max(0.0f, budget_pounds_) * 100.0f + 0.5f);
  r.location_kind = hospital_ == 0 ? LocationKind::kCommunity : LocationKind::kHospital;
  r.hospital_code = SiteCode(hospital_);
  if (r.pathway == Pathway::kP1) {
    r.category.reset();
  } else {
    r.homecare = HomecarePattern{};
  }
  if (r.created_date.empty()) r.created_date = TodayIsoDate();
  return r;
}

void ReferralPanel::Draw(PanelContext& ctx) {
  if (!ctx.data.queue.available) {
    EmptyState("Referrals cannot be recorded in this store yet.",
               "This store has no referrals table. A newer Berth adds it when the store is opened.");
    return;
  }
  if (!open_) {
    // Nothing opened yet: show the referral selected on the huddle board, or a blank form.
    if (!ctx.data.selected_referral.empty()) {
      ctx.commands.Push(cmd::EditReferral{ctx.data.selected_referral});
      return;
    }
    if (ctx.data.queue.version == 0) {  // the queue (and its most urgent referral) is still loading
      ImGui::TextDisabled("Loading...");
      return;
    }
    Open("");
  }
  if (!populated_) {
    if (ctx.data.detail.loaded && ctx.data.detail.referral.id == editing_id_) {
      Populate(ctx.data.detail.referral);
    } else {
      ImGui::TextDisabled("Opening the referral...");
      return;
    }
  }
  ImGui::Text("%s", is_new_ ? "New referral" : ("Editing: " + name_).c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("  Tab moves between fields, Ctrl+S saves");
  const std::vector<std::string> problems = Problems();
  const float history_w = ImGui::GetFontSize() * 17;
  ImGui::BeginChild("form", ImVec2(-history_w, -ImGui::GetFrameHeightWithSpacing() * 1.5f), false);
  if (ImGui::BeginTable("form_columns", 2, ImGuiTableFlags_SizingStretchSame)) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    DrawPerson();
    DrawPlace();
    ImGui::TableNextColumn();
    DrawCare();
    ImGui::EndTable();
  }
  DrawNeeds();
  if (draft_.pathway == Pathway::kP1) DrawHomecare();
  ImGui::Spacing();
  ImGui::TextUnformatted("Notes");
  ImGui::InputTextMultiline("##notes", &notes_, ImVec2(-1, ImGui::GetTextLineHeight() * 4));
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("history", ImVec2(0, -ImGui::GetFrameHeightWithSpacing() * 1.5f), true);
  DrawHistory(ctx, ctx.data.detail);
  ImGui::EndChild();

  if (!is_new_ && draft_.status == ReferralStatus::kPlaced) DrawHandBack(ctx);
  if (!is_new_) DrawLifecycle(ctx);
  ImGui::BeginDisabled(!problems.empty());
  const bool save = ImGui::Button(is_new_ ? "Create referral (Ctrl+S)" : "Save changes (Ctrl+S)");
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (!problems.empty()) {
    ImGui::TextColored(ErrorTextColour(), "%zu to fix: %s", problems.size(), problems.front().c_str());
  }
  if ((save || CtrlPressed(keys::kS)) && problems.empty()) Save(ctx);
}

void ReferralPanel::DrawPerson() {
  ImGui::TextDisabled("Person");
  const float w = ImGui::GetFontSize() * 10;
  if (focus_first_) {
    ImGui::SetKeyboardFocusHere();
    focus_first_ = false;
  }
  ImGui::SetNextItemWidth(w);
  ImGui::InputTextWithHint("NHS number", "943 476 5919", &nhs_, ImGuiInputTextFlags_CharsDecimal);
  Problem(nhs_.empty() ? "" : ProblemWith("nhs_number"));
  ImGui::SetNextItemWidth(w);
  ImGui::InputText("Name", &name_);
  ImGui::SetNextItemWidth(w);
  ImGui::InputTextWithHint("Date of birth", "YYYY-MM-DD", &dob_);
  Problem(dob_.empty() ? "" : ProblemWith("date_of_birth"));
  EnumCombo("Gender", &draft_.gender);
}

void ReferralPanel::DrawPlace() {
  ImGui::Spacing();
  ImGui::TextDisabled("Where they are and where they want to be");
  const float w = ImGui::GetFontSize() * 10;
  ImGui::SetNextItemWidth(w);
  ImGui::InputTextWithHint("Postcode now", "PE29 6NT", &postcode_);
  Problem(postcode_.empty() ? "" : ProblemWith("postcode"));
  ImGui::SetNextItemWidth(w);
  ImGui::InputTextWithHint("Discharge-ready date", "YYYY-MM-DD", &drd_);
  Problem(drd_.empty() ? "" : ProblemWith("discharge_ready_date"));
  ImGui::SetNextItemWidth(w);
  ImGui::InputTextWithHint("Preferred postcode", "near family", &preferred_);
  Problem(preferred_.empty() ? "" : ProblemWith("preferred_postcode"));
  ImGui::SetNextItemWidth(w);
  ImGui::InputFloat("Max distance (km, 0 = any)", &max_km_, 0, 0, "%.0f");
  if (BeginComboFit("Hospital", SiteName(hospital_), w)) {
    for (int i = 0; i < SiteCount(); ++i) {
      if (ImGui::Selectable(SiteName(i).c_str(), hospital_ == i)) {
        hospital_ = i;
        if (i > 0 && postcode_.empty()) postcode_ = SitePostcode(i);
      }
    }
    ImGui::EndCombo();
  }
}

void ReferralPanel::DrawCare() {
  ImGui::Spacing();
  ImGui::TextDisabled("Care and funding");
  const float w = ImGui::GetFontSize() * 10;
  EnumCombo("Pathway", &draft_.pathway);
  if (draft_.pathway != Pathway::kP1) {
    const std::string current = draft_.category ? Label(ToString(*draft_.category)) : "(choose)";
    if (BeginComboFit("Bed category", current, w)) {
      for (size_t i = 0; i < EnumCount<BedCategory>(); ++i) {
        const auto c = static_cast<BedCategory>(i);
        if (ImGui::Selectable(Label(ToString(c)).c_str(), draft_.category == c)) draft_.category = c;
      }
      ImGui::EndCombo();
    }
  }
  // Routine or urgent is the broker's call; hand_back, like the status, comes from the workflow only.
  if (draft_.priority == Priority::kHandBack) {
    ImGui::TextDisabled("Priority: hand back (from the provider's hand back)");
  } else {
    bool urgent = draft_.priority == Priority::kUrgent;
    if (ImGui::Checkbox("Urgent", &urgent)) draft_.priority = urgent ? Priority::kUrgent : Priority::kRoutine;
  }
  ImGui::TextDisabled("Status: %s (changes through hold, offer, confirm...)", ToString(draft_.status).data());
  EnumCombo("Delay reason (NHS)", &draft_.delay_reason);
  EnumCombo("Infection status", &draft_.infection_status);
  EnumCombo("Funding", &draft_.funding);
  ImGui::SetNextItemWidth(w);
  ImGui::InputFloat("Weekly budget (GBP)", &budget_pounds_, 0, 0, "%.0f");
  ImGui::SetNextItemWidth(w);
  ImGui::InputText("Broker", &broker_);
}

void ReferralPanel::DrawNeeds() {
  ImGui::Spacing();
  ImGui::TextDisabled("Needs");
  const auto& groups = NeedGroups();
  if (ImGui::BeginTable("needs", static_cast<int>(groups.size()), ImGuiTableFlags_SizingStretchSame)) {
    ImGui::TableNextRow();
    for (const NeedGroup& g : groups) {
      ImGui::TableNextColumn();
      ImGui::TextWrapped("%s", g.title);
      for (Need n : g.needs) {
        bool on = Contains(draft_.needs, n);
        if (CheckboxFit(Label(ToString(n)), &on)) {
          std::erase(draft_.needs, n);
          if (on) draft_.needs.push_back(n);
          std::sort(draft_.needs.begin(), draft_.needs.end());
        }
      }
    }
    ImGui::EndTable();
  }
}

void ReferralPanel::DrawHomecare() {
  ImGui::Spacing();
  ImGui::TextDisabled("Homecare pattern");
  HomecarePattern& h = draft_.homecare;
  int calls = static_cast<int>(h.calls_per_day), minutes = static_cast<int>(h.minutes_per_call);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
  if (ImGui::InputInt("Calls per day", &calls)) h.calls_per_day = std::clamp(calls, 0, 8);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
  if (ImGui::InputInt("Minutes per call", &minutes, 15)) h.minutes_per_call = std::clamp(minutes, 0, 240);
  for (size_t i = 0; i < EnumCount<TimeBand>(); ++i) {
    const auto b = static_cast<TimeBand>(i);
    bool on = Contains(h.bands, b);
    if (i > 0) ImGui::SameLine();
    if (ImGui::Checkbox(Label(ToString(b)).c_str(), &on)) {
      std::erase(h.bands, b);
      if (on) h.bands.push_back(b);
      std::sort(h.bands.begin(), h.bands.end());
    }
  }
  ImGui::Checkbox("Double-up (two carers)", &h.double_up);
  EnumCombo("Carer gender", &h.carer_gender);
  ImGui::TextDisabled("%.1f hours of care a week", h.HoursPerWeek());
}

void ReferralPanel::DrawHandBack(PanelContext& ctx) {
  // A provider gives notice: care continues until the last day, then the person is re-brokered first.
  ImGui::TextDisabled("Provider hands back:");
  ImGui::SameLine();
  EnumCombo("##handback_reason", &handback_reason_);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
  ImGui::InputTextWithHint("##handback_end", "last day", &handback_end_);
  ImGui::SameLine();
  const bool ok = handback_reason_ != HandbackReason::kNone && IsIsoDate(handback_end_);
  ImGui::BeginDisabled(!ok);
  if (ImGui::SmallButton("Record hand back")) {
    ctx.commands.Push(cmd::HandBack{.referral_id = editing_id_,
                                    .last_day = handback_end_,
                                    .reason = std::string(ToString(handback_reason_))});
  }
  ImGui::EndDisabled();
}

void ReferralPanel::DrawLifecycle(PanelContext& ctx) {
  // Closing a referral (with its coded reason) and bringing it back are workflow commands, not edits.
  if (draft_.status == ReferralStatus::kCancelled) {
    ImGui::TextDisabled("Cancelled (%s).", ToString(draft_.cancel_reason).data());
    ImGui::SameLine();
    if (ImGui::SmallButton("Reopen")) ctx.commands.Push(cmd::ReopenReferral{editing_id_});
    return;
  }
  if (!core::IsOpen(draft_.status)) return;
  ImGui::TextDisabled("Cancel:");
  ImGui::SameLine();
  EnumCombo("##cancel_reason", &cancel_reason_);
  ImGui::SameLine();
  ImGui::BeginDisabled(cancel_reason_ == CancelReason::kNone);
  if (ImGui::SmallButton("Cancel referral")) {
    ctx.commands.Push(
        cmd::CancelReferral{.referral_id = editing_id_, .reason = std::string(ToString(cancel_reason_))});
  }
  ImGui::EndDisabled();
}

void ReferralPanel::DrawHistory(PanelContext& ctx, const ReferralDetail& detail) {
  ImGui::TextUnformatted("History");
  ImGui::Separator();
  if (is_new_) {
    ImGui::TextDisabled("A new referral has no history yet.");
    return;
  }
  if (!detail.loaded || detail.referral.id != editing_id_) {
    ImGui::TextDisabled("Loading...");
    return;
  }
  // The case log in words, newest first (notes, calls and reminders are added in the Case log panel).
  for (auto it = detail.log.rbegin(); it != detail.log.rend(); ++it)
    ImGui::TextWrapped("%s", core::CaseLine(*it).c_str());
  if (ImGui::SmallButton("Open the case log (Ctrl+9)")) ctx.commands.Push(cmd::ShowPanel{PanelId::kCase});
}

void ReferralPanel::Save(PanelContext& ctx) {
  cmd::SaveReferral save{.referral = Edited(), .is_new = is_new_};
  if (is_new_) save.referral.id.clear();  // core::SaveReferral gives a new referral its id
  ctx.commands.Push(std::move(save));
}

}  // namespace berth::ui
