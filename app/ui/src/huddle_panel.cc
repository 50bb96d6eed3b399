// The huddle board (Ctrl+1): the queue of referrals by pathway and days waiting, with status words and
// chase labels, for the daily huddle.

#include "huddle_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <cstdio>
#include <cstring>

#include "berth/core/case_log.h"
#include "keys.h"
#include "theme.h"

namespace berth::ui {

namespace {
const char* PathwayLabel(Pathway p) {
  switch (p) {
    case Pathway::kP1:
      return "P1";
    case Pathway::kP2:
      return "P2";
    case Pathway::kP3:
      return "P3";
    case Pathway::kCommunityCrisis:
      return "Crisis";
    case Pathway::kRespite:
      return "Respite";
  }
  return "?";
}

bool StringCombo(const char* label, const char* all, const std::vector<std::string>& options,
                 std::string* value) {
  bool changed = false;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
  if (ImGui::BeginCombo(label, value->empty() ? all : value->c_str())) {
    if (ImGui::Selectable(all, value->empty())) {
      value->clear();
      changed = true;
    }
    for (const auto& o : options) {
      if (ImGui::Selectable(o.c_str(), *value == o)) {
        *value = o;
        changed = true;
      }
    }
    ImGui::EndCombo();
  }
  return changed;
}

template <class E>
void EnumCombo(const char* label, const char* all, int* value) {
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7.5f);
  const std::string current = *value < 0 ? all : std::string(ToString(static_cast<E>(*value)));
  if (ImGui::BeginCombo(label, current.c_str())) {
    if (ImGui::Selectable(all, *value < 0)) *value = -1;
    for (size_t i = 0; i < EnumCount<E>(); ++i) {
      const std::string code(EnumTraits<E>::kCodes[i]);
      if (ImGui::Selectable(code.c_str(), *value == static_cast<int>(i))) *value = static_cast<int>(i);
    }
    ImGui::EndCombo();
  }
}
}  // namespace

void HuddlePanel::Clear() {
  filter_ = QueueFilter{};
  applied_version_ = -1;
  visible_.clear();
  facets_ = QueueFacets{};
  selected_ = 0;
  selected_id_.clear();
}

void HuddlePanel::Refilter(const QueueData& data) {
  if (applied_version_ == data.version && applied_ == filter_) return;
  if (applied_version_ != data.version) facets_ = Facets(data);
  // Typing one more character only narrows the list: filter what is shown instead of the whole queue.
  const bool narrowing = applied_version_ == data.version && !applied_.search.empty() &&
                         filter_.search.size() > applied_.search.size() &&
                         filter_.search.compare(0, applied_.search.size(), applied_.search) == 0 && [&] {
                           QueueFilter a = applied_, b = filter_;
                           a.search.clear();
                           b.search.clear();
                           return a == b;
                         }();
  if (narrowing) {
    const QueueSearch search(filter_.search);
    std::vector<int> kept;
    for (int i : visible_) {
      if (search.Matches(data.rows[static_cast<size_t>(i)])) kept.push_back(i);
    }
    visible_ = std::move(kept);
  } else {
    visible_ = FilterQueue(data, filter_);
  }
  past_ = handbacks_ = 0;
  for (int i : visible_) {
    const QueueRow& r = data.rows[static_cast<size_t>(i)];
    past_ += r.days_past > 0 ? 1 : 0;
    handbacks_ += r.priority == Priority::kHandBack ? 1 : 0;
  }
  applied_ = filter_;
  applied_version_ = data.version;
  // Keep the same person selected when they are still listed; otherwise the most urgent.
  selected_ = 0;
  for (size_t i = 0; i < visible_.size() && !selected_id_.empty(); ++i) {
    if (data.rows[static_cast<size_t>(visible_[i])].id == selected_id_) selected_ = static_cast<int>(i);
  }
  scroll_to_selected_ = true;
}

void HuddlePanel::Draw(PanelContext& ctx) {
  const QueueData& data = ctx.data.queue;
  if (!data.available) {
    EmptyState("No queue yet.",
               "This store has no referrals table yet. Once the data model is installed (a newer Berth) or a "
               "demo store is made with `berth demo`, the open queue appears here by urgency.");
    return;
  }
  Refilter(data);
  if (ctx.data.plan.version != proposed_version_) {
    proposed_.clear();
    for (const PlanAllocation& a : ctx.data.plan.allocations) {
      proposed_[a.referral_id] = a.option.provider_name + (a.option.room.empty() ? "" : ", " + a.option.room);
    }
    unplaced_.clear();
    for (const PlanData::Unplaced& u : ctx.data.plan.unplaced) unplaced_[u.referral_id] = u.reason;
    proposed_version_ = ctx.data.plan.version;
  }
  DrawFilters(ctx, data);
  HandleKeys(ctx, data);
  DrawTable(ctx, data);
}

void HuddlePanel::DrawFilters(PanelContext& ctx, const QueueData& data) {
  ImGui::Text("%zu shown", visible_.size());
  ImGui::SameLine();
  // The urgency colours' meaning, for anyone who cannot tell them apart: the same marks lead each row.
  ImGui::TextDisabled(
      "|  %d past their discharge-ready date (! past, !! a week or more)  |  %d hand backs (<<)  |  "
      "today %s",
      past_, handbacks_, data.today.c_str());
  if (focus_search_) {
    ImGui::SetKeyboardFocusHere();
    focus_search_ = false;
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 13);
  ImGui::InputTextWithHint("##search", "/  name or NHS number", &filter_.search);
  ImGui::SameLine();
  EnumCombo<Pathway>("##pathway", "All pathways", &filter_.pathway);
  ImGui::SameLine();
  EnumCombo<ReferralStatus>("##status", "Open (any)", &filter_.status);
  ImGui::SameLine();
  StringCombo("##area", "All areas", facets_.areas, &filter_.area);
  ImGui::SameLine();
  StringCombo("##hospital", "All hospitals", facets_.hospitals, &filter_.hospital);
  ImGui::SameLine();
  std::vector<std::string> brokers = facets_.brokers;
  brokers.insert(brokers.begin(), "(unassigned)");
  StringCombo("##broker", "All brokers", brokers, &filter_.broker);
  ImGui::SameLine();
  if (ImGui::Button("Clear filters")) {
    filter_ = QueueFilter{};
  }
  (void)ctx;
}

void HuddlePanel::HandleKeys(PanelContext& ctx, const QueueData& data) {
  if (ctx.typing || visible_.empty()) return;
  const int n = static_cast<int>(visible_.size());
  const int page = 15;
  int s = selected_;
  if (KeyPressed(keys::kDown) || KeyPressed(keys::kJ)) ++s;
  if (KeyPressed(keys::kUp) || KeyPressed(keys::kK)) --s;
  if (KeyPressed(keys::kPageDown)) s += page;
  if (KeyPressed(keys::kPageUp)) s -= page;
  if (KeyPressed(keys::kHome)) s = 0;
  if (KeyPressed(keys::kEnd)) s = n - 1;
  s = s < 0 ? 0 : s >= n ? n - 1 : s;
  if (s != selected_) {
    selected_ = s;
    scroll_to_selected_ = true;
  }
  const QueueRow& row = data.rows[static_cast<size_t>(visible_[static_cast<size_t>(selected_)])];
  selected_id_ = row.id;
  if (KeyPressed(keys::kEnter)) {
    ctx.commands.Push(cmd::SelectReferral{row.id});
    ctx.commands.Push(cmd::ShowPanel{PanelId::kMatch});
  }
  if (KeyPressed(keys::kE)) ctx.commands.Push(cmd::EditReferral{row.id});
}

void HuddlePanel::DrawTable(PanelContext& ctx, const QueueData& data) {
  if (visible_.empty()) {
    EmptyState("Nobody matches these filters.", "Clear the search or the filters to see the whole queue.");
    return;
  }
  const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable |
                                ImGuiTableFlags_SizingStretchProp;
  if (!ImGui::BeginTable("queue", 10, flags, ImVec2(0, 0))) return;
  const float em = ImGui::GetFontSize();
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("Waiting", ImGuiTableColumnFlags_WidthFixed, em * 7.5f);
  ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch, 1.3f);
  ImGui::TableSetupColumn("NHS number", ImGuiTableColumnFlags_WidthFixed, em * 6.5f);
  ImGui::TableSetupColumn("Needs", ImGuiTableColumnFlags_WidthStretch, 1.6f);
  ImGui::TableSetupColumn("From", ImGuiTableColumnFlags_WidthStretch, 1.0f);
  ImGui::TableSetupColumn("Area", ImGuiTableColumnFlags_WidthFixed, em * 3.2f);
  ImGui::TableSetupColumn("Ready", ImGuiTableColumnFlags_WidthFixed, em * 5.5f);
  ImGui::TableSetupColumn("Status", ImGuiTableColumnFlags_WidthFixed, em * 7.5f);  // with a chase chip
  ImGui::TableSetupColumn("Broker", ImGuiTableColumnFlags_WidthStretch, 0.6f);
  ImGui::TableSetupColumn("Plan proposes", ImGuiTableColumnFlags_WidthStretch, 1.5f);
  ImGui::TableHeadersRow();

  const float row_h = ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2;
  if (scroll_to_selected_) {
    const float header = row_h;
    const float top = header + static_cast<float>(selected_) * row_h;
    const float view = ImGui::GetWindowHeight();
    const float scroll = ImGui::GetScrollY();
    if (top - header < scroll) ImGui::SetScrollY(top - header);
    if (top + row_h > scroll + view) ImGui::SetScrollY(top + row_h - view);
    scroll_to_selected_ = false;
  }
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(visible_.size()), row_h);
  char buf[64];
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const QueueRow& r = data.rows[static_cast<size_t>(visible_[static_cast<size_t>(i)])];
      ImGui::TableNextRow(0, row_h);
      ImGui::TableNextColumn();
      const ImU32 colour = UrgencyColour(r.days_past, r.priority);
      const ImVec2 p = ImGui::GetCursorScreenPos();
      ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + em * 0.3f, p.y + ImGui::GetTextLineHeight()),
                                                colour);
      ImGui::PushID(i);
      if (r.priority == Priority::kHandBack) {
        if (r.days_past > 0) {
          std::snprintf(buf, sizeof(buf), "  hand back +%lld d", static_cast<long long>(r.days_past));
        } else {
          std::snprintf(buf, sizeof(buf), "  hand back");
        }
      } else if (r.days_past > 0) {
        std::snprintf(buf, sizeof(buf), "  +%lld d%s", static_cast<long long>(r.days_past),
                      r.priority == Priority::kUrgent ? "  urgent" : "");
      } else if (r.days_past == 0) {
        std::snprintf(buf, sizeof(buf), "  today%s", r.priority == Priority::kUrgent ? "  urgent" : "");
      } else {
        std::snprintf(buf, sizeof(buf), "  in %lld d%s", static_cast<long long>(-r.days_past),
                      r.priority == Priority::kUrgent ? "  urgent" : "");
      }
      const char* mark = UrgencySymbol(r.days_past, r.priority);
      const std::string waiting = std::string(mark) + (*mark != '\0' ? " " : "") + (buf + 2);
      // Past the urgency strip; the label, with its "> " when selected, takes the rest of the cell.
      ImGui::SetCursorPosX(ImGui::GetCursorPosX() + em * 0.5f);
      if (SelectableFit(waiting, i == selected_,
                        ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowDoubleClick)) {
        selected_ = i;
        selected_id_ = r.id;
        if (ImGui::IsMouseDoubleClicked(0)) {
          ctx.commands.Push(cmd::SelectReferral{r.id});
          ctx.commands.Push(cmd::ShowPanel{PanelId::kMatch});
        }
      }
      ImGui::PopID();
      ImGui::TableNextColumn();
      TextFit(r.name);
      ImGui::TableNextColumn();
      if (r.nhs_number.size() == 10) {
        ImGui::Text("%.3s %.3s %.4s", r.nhs_number.c_str(), r.nhs_number.c_str() + 3,
                    r.nhs_number.c_str() + 6);
      } else {
        ImGui::TextUnformatted(r.nhs_number.c_str());
      }
      ImGui::TableNextColumn();
      std::snprintf(buf, sizeof(buf), "%s  %s", PathwayLabel(r.pathway),
                    r.category.empty() ? "homecare" : r.category.c_str());
      for (char* c = buf; *c != '\0'; ++c) *c = *c == '_' ? ' ' : *c;
      TextFit(buf);
      ImGui::TableNextColumn();
      TextFit(r.hospital);
      ImGui::TableNextColumn();
      TextFit(r.area);
      ImGui::TableNextColumn();
      TextFit(r.discharge_ready_date);
      ImGui::TableNextColumn();
      TextFit(ToString(r.status));
      if (auto due = data.due_reminders.find(r.id); due != data.due_reminders.end()) {
        ImGui::SameLine();
        Chip("chase", WarningColour());
        if (ImGui::IsItemHovered())
          ImGui::SetTooltip("A chase reminder fell due at %s (the case log, Ctrl+9, says what)",
                            core::CaseTime(due->second).c_str());
      }
      ImGui::TableNextColumn();
      TextFit(r.broker.empty() ? "-" : r.broker);
      ImGui::TableNextColumn();
      if (auto it = proposed_.find(r.id); it != proposed_.end()) {
        TextFit(it->second);
      } else {
        ImGui::TextDisabled("%s", ctx.data.plan.matched ? "none suitable" : "-");
        // What came closest, from the plan (core's near misses), so "none suitable" has a way forward.
        if (auto why = unplaced_.find(r.id); why != unplaced_.end() && ImGui::IsItemHovered()) {
          ImGui::BeginTooltip();
          ImGui::PushTextWrapPos(ImGui::GetFontSize() * 32);
          ImGui::TextUnformatted(why->second.c_str());
          ImGui::PopTextWrapPos();
          ImGui::EndTooltip();
        }
      }
    }
  }
  ImGui::EndTable();
}

}  // namespace berth::ui
