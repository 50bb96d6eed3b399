// The match screen (Ctrl+3): a referral's ranked options with their reasons, near misses, and the hold
// and offer actions (through app/core).

#include "match_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "berth/core/nhs_number.h"
#include "keys.h"
#include "theme.h"

namespace berth::ui {

namespace {
const char* FundingLabel(Funding f) {
  switch (f) {
    case Funding::kLa:
      return "LA";
    case Funding::kChc:
      return "CHC";
    case Funding::kJoint:
      return "joint";
    case Funding::kFnc:
      return "FNC";
    case Funding::kSelfFunder:
      return "self-funder";
    case Funding::kTopUp:
      return "top-up";
  }
  return "?";
}

}  // namespace

void MatchPanel::Clear() {
  referral_id_.clear();
  chosen_.clear();
  selected_ = 0;
  show_excluded_ = false;
}

void MatchPanel::OnReferralSelected(const std::string& id) {
  if (id == referral_id_) return;
  referral_id_ = id;
  selected_ = 0;
  chosen_.clear();
  excluded_toggled_ = false;
  show_excluded_ = false;
  scroll_ = true;
}

void MatchPanel::DrawHeader(const PanelContext& ctx) {
  const ReferralDetail& d = ctx.data.detail;
  if (!d.loaded || d.referral.id != ctx.data.selected_referral) {
    ImGui::TextDisabled("Opening the referral...");
    return;
  }
  const Referral& r = d.referral;
  const int64_t waiting = IsIsoDate(r.discharge_ready_date)
                              ? DaysFromIsoDate(TodayIsoDate()) - DaysFromIsoDate(r.discharge_ready_date)
                              : 0;
  ImGui::Text("%s", r.name.c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("NHS %s  |  %s  %s  |  ready %s (%s%lld days)  |  %s funding, budget %s/week",
                      core::FormatNhsNumber(r.nhs_number).c_str(), ToString(r.pathway).data(),
                      r.category ? ToString(*r.category).data() : "homecare", r.discharge_ready_date.c_str(),
                      waiting > 0 ? "waiting " : "in ",
                      static_cast<long long>(waiting > 0 ? waiting : -waiting), FundingLabel(r.funding),
                      Pounds(r.weekly_budget_pence).c_str());
  if (!r.needs.empty()) {
    ImGui::TextDisabled("Needs: %s   Preferred: %s within %.0f km", JoinCodes(r.needs).c_str(),
                        r.preferred_postcode.empty() ? r.postcode.c_str() : r.preferred_postcode.c_str(),
                        r.max_distance_km);
  }
}

template <class C>  // cmd::Hold, cmd::Offer or cmd::Confirm
void MatchPanel::Act(PanelContext& ctx) {
  const MatchData& m = ctx.data.match;
  if (selected_ < 0 || selected_ >= static_cast<int>(m.options.size())) return;
  const MatchOption& o = m.options[static_cast<size_t>(selected_)];
  ctx.commands.Push(C{.referral_id = m.referral_id,
                      .provider_id = o.provider_id,
                      .bed_id = o.bed_id,
                      .label = o.provider_name + (o.room.empty() ? "" : ", room " + o.room)});
}

void MatchPanel::SendChosen(PanelContext& ctx) {
  const MatchData& m = ctx.data.match;
  cmd::SendOffers send{.referral_id = m.referral_id};
  for (int i : chosen_) {
    if (i < 0 || i >= static_cast<int>(m.options.size())) continue;
    const MatchOption& o = m.options[static_cast<size_t>(i)];
    send.targets.push_back({o.provider_id, o.bed_id});
    send.names += (send.names.empty() ? "" : ", ") + o.provider_name;
  }
  if (send.targets.empty()) return;
  chosen_.clear();
  ctx.commands.Push(std::move(send));
}

void MatchPanel::DrawOption(const MatchOption& o, int index, bool selected) {
  char label[256];
  std::snprintf(label, sizeof(label), "#%d  %s%s", index + 1, chosen_.count(index) ? "[offer] " : "",
                o.provider_name.c_str());
  ImGui::PushID(index);
  const float em = ImGui::GetFontSize();
  // Both lines stop short of the right-hand column (the fit, then the score bars).
  const float column = std::max(em * 24, ImGui::GetWindowContentRegionMax().x - em * 13);
  const float room = column - ImGui::GetCursorPosX() - ImGui::GetStyle().ItemSpacing.x;
  if (SelectableFit(label, selected, 0, ImGui::GetTextLineHeightWithSpacing() * 2, room)) selected_ = index;
  if (selected && scroll_) {
    ImGui::SetScrollHereY(0.3f);
    scroll_ = false;
  }
  const ImVec2 after = ImGui::GetCursorScreenPos();
  ImGui::SameLine(column);
  ImGui::Text("fit %d", o.fit);
  // Second line: what it is, then the components as small bars.
  ImGui::SetCursorScreenPos(ImVec2(after.x + em, after.y - ImGui::GetTextLineHeightWithSpacing()));
  std::string what = o.kind == "bed" ? "room " + o.room + "  " + o.category + "  " + o.contract
                                     : "homecare  " + o.zone + "  " + o.bands + "  " + o.contract;
  char tail[96];
  std::snprintf(tail, sizeof(tail), "  |  %s/wk", Pounds(o.weekly_cost_pence).c_str());
  what += tail;
  if (!o.over_budget.empty()) what += "  |  OVER BUDGET: " + o.over_budget;
  if (o.distance_km >= 0) {
    std::snprintf(tail, sizeof(tail), "  |  %.1f km", o.distance_km);
    what += tail;
  }
  TextFitDisabled(what, column - ImGui::GetCursorPosX() - ImGui::GetStyle().ItemSpacing.x);
  ImGui::SameLine(column);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float h = ImGui::GetTextLineHeight() * 0.6f;
  float x = p.x;
  double total = 0;
  for (const ScoreComponent& c : o.components) total += std::max(0.0, c.contribution);
  const float bar_w = em * 10;
  for (size_t i = 0; i < o.components.size(); ++i) {
    const double v = std::max(0.0, o.components[i].contribution);
    if (total <= 0 || v <= 0) continue;
    const float w = static_cast<float>(v / total) * bar_w;
    dl->AddRectFilled(ImVec2(x, p.y + h * 0.3f), ImVec2(x + w - 1, p.y + h * 1.3f), ComponentColour(i));
    x += w;
  }
  ImGui::Dummy(ImVec2(bar_w, ImGui::GetTextLineHeight()));
  ImGui::PopID();
}

void MatchPanel::DrawWhy(const MatchData& m) {
  if (m.options.empty()) return;
  const int s = std::clamp(selected_, 0, static_cast<int>(m.options.size()) - 1);
  const MatchOption& o = m.options[static_cast<size_t>(s)];
  ImGui::Text("Why #%d %s", s + 1, s == 0 ? "ranks first" : "ranks here");
  char fit[64];
  std::snprintf(fit, sizeof(fit), "  -  fit %d/100 (score %.1f)", o.fit, o.score);
  TextWrappedDisabled(o.provider_name + fit);
  ImGui::Separator();
  double max = 0;
  for (const MatchOption& any : m.options) {
    for (const ScoreComponent& c : any.components) max = std::max(max, std::abs(c.contribution));
  }
  char value[128];
  for (size_t i = 0; i < o.components.size(); ++i) {
    const ScoreComponent& c = o.components[i];
    std::snprintf(value, sizeof(value), "%+.1f", c.contribution);
    ScoreBar(c.name.c_str(), max > 0 ? static_cast<float>(std::abs(c.contribution) / max) : 0.0f,
             ComponentColour(i), value);
    if (!c.detail.empty()) {
      ImGui::Indent(ImGui::GetFontSize());
      TextWrappedDisabled(c.detail);
      ImGui::Unindent(ImGui::GetFontSize());
    }
  }
  // Against the next option: which components made the difference.
  if (s + 1 < static_cast<int>(m.options.size())) {
    const MatchOption& next = m.options[static_cast<size_t>(s + 1)];
    ImGui::Spacing();
    ImGui::TextWrapped("Ahead of #%d %s by %.1f:", s + 2, next.provider_name.c_str(), o.score - next.score);
    for (const ScoreComponent& c : o.components) {
      for (const ScoreComponent& n : next.components) {
        if (n.name != c.name) continue;
        const double diff = c.contribution - n.contribution;
        if (std::abs(diff) >= 0.05) ImGui::BulletText("%s %+.1f", c.name.c_str(), diff);
      }
    }
  }
}

void MatchPanel::Draw(PanelContext& ctx) {
  const Workspace& ws = ctx.data;
  if (ws.selected_referral.empty()) {
    EmptyState("No referral selected.",
               "Pick a referral on the huddle board (Ctrl+1), then press Enter to see its options here.");
    return;
  }
  OnReferralSelected(ws.selected_referral);
  DrawHeader(ctx);
  ImGui::Separator();
  const MatchData& m = ws.match;
  if (!m.matched) {
    EmptyState(
        "Matching is not available in this build yet.",
        "The matching engine (ranked options with their reasons, excluded options and the rule behind each) "
        "is not part of this build. Nothing is guessed here in the meantime.");
    return;
  }
  if (m.referral_id != ws.selected_referral) {
    ImGui::TextDisabled("Matching...");
    return;
  }
  const int n = static_cast<int>(m.options.size());
  if (!ctx.typing) {
    if ((KeyPressed(keys::kDown) || KeyPressed(keys::kJ)) && selected_ + 1 < n) {
      ++selected_;
      scroll_ = true;
    }
    if ((KeyPressed(keys::kUp) || KeyPressed(keys::kK)) && selected_ > 0) {
      --selected_;
      scroll_ = true;
    }
    if (KeyPressed(keys::kX)) {
      show_excluded_ = !show_excluded_;
      excluded_toggled_ = true;
    }
    if (KeyPressed(keys::kH) || KeyPressed(keys::kEnter)) Act<cmd::Hold>(ctx);
    if (KeyPressed(keys::kSpace) && selected_ < n) {
      if (!chosen_.erase(selected_)) chosen_.insert(selected_);
    }
    if (KeyPressed(keys::kO)) {
      if (chosen_.empty()) {
        Act<cmd::Offer>(ctx);
      } else {
        SendChosen(ctx);
      }
    }
    if (KeyPressed(keys::kC)) Act<cmd::Confirm>(ctx);
  }
  selected_ = std::clamp(selected_, 0, std::max(0, n - 1));
  // With nothing suitable, the reasons are the answer: show them unless the broker has hidden them.
  if (n == 0 && !excluded_toggled_) show_excluded_ = true;
  const float em = ImGui::GetFontSize();
  ImGui::Text("%d suitable option%s", n, n == 1 ? "" : "s");
  ImGui::SameLine();
  ImGui::TextDisabled("|  %zu excluded", m.excluded.size());
  ImGui::SameLine();
  if (ImGui::Checkbox("Show excluded (X)", &show_excluded_)) excluded_toggled_ = true;
  ImGui::SameLine();
  ImGui::BeginDisabled(n == 0);
  if (ImGui::Button("Hold (H)")) Act<cmd::Hold>(ctx);
  ImGui::SameLine();
  if (ImGui::Button(chosen_.count(selected_) ? "Unchoose (Space)" : "Choose (Space)")) {
    if (!chosen_.erase(selected_)) chosen_.insert(selected_);
  }
  ImGui::SameLine();
  char send[64];
  if (chosen_.empty()) {
    std::snprintf(send, sizeof(send), "Offer (O)");
  } else {
    std::snprintf(send, sizeof(send), "Send to %zu chosen (O)", chosen_.size());
  }
  if (ImGui::Button(send)) {
    if (chosen_.empty()) {
      Act<cmd::Offer>(ctx);
    } else {
      SendChosen(ctx);
    }
  }
  ImGui::SameLine();
  if (ImGui::Button("Confirm (C)")) Act<cmd::Confirm>(ctx);
  ImGui::EndDisabled();

  if (ImGui::CollapsingHeader("Offers", ImGuiTreeNodeFlags_DefaultOpen)) offers_.Draw(ctx, m.offers);
  const float list_h = show_excluded_ ? ImGui::GetContentRegionAvail().y * 0.6f : 0.0f;
  ImGui::BeginChild("options", ImVec2(ImGui::GetContentRegionAvail().x - em * 26, list_h), true);
  if (n == 0) {
    ImGui::TextWrapped(
        "No option passes every rule for this referral. Show the excluded ones (X) to see why.");
  }
  if (!m.near_misses.empty()) {
    ImGui::TextDisabled("Nearest misses (one rule stops each):");
    for (const std::string& x : m.near_misses) {
      ImGui::Bullet();
      ImGui::TextWrapped("%s", x.c_str());
    }
  }
  for (int i = 0; i < n; ++i) DrawOption(m.options[static_cast<size_t>(i)], i, i == selected_);
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("why", ImVec2(0, list_h), true);
  DrawWhy(m);
  ImGui::EndChild();
  if (show_excluded_) {
    ImGui::BeginChild("excluded", ImVec2(0, 0), true);
    ImGui::Text("Excluded (%zu), with the rule that ruled each out", m.excluded.size());
    if (ImGui::BeginTable(
            "excluded_t", 2,
            ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp)) {
      ImGui::TableSetupScrollFreeze(0, 1);
      ImGui::TableSetupColumn("Provider", ImGuiTableColumnFlags_WidthStretch, 1.0f);
      ImGui::TableSetupColumn("Reason", ImGuiTableColumnFlags_WidthStretch, 2.0f);
      ImGui::TableHeadersRow();
      ImGuiListClipper clipper;
      clipper.Begin(static_cast<int>(m.excluded.size()));
      while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
          const ExcludedOption& x = m.excluded[static_cast<size_t>(i)];
          ImGui::TableNextRow();
          ImGui::TableNextColumn();
          ImGui::TextUnformatted(x.provider_name.c_str());
          ImGui::TableNextColumn();
          ImGui::TextUnformatted(x.reason.c_str());
        }
      }
      ImGui::EndTable();
    }
    ImGui::EndChild();
  }
}

}  // namespace berth::ui
