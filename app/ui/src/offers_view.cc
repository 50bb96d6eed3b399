// The offers view inside the match screen: offers sent for the referral, their answers, and decline
// reasons (answers are recorded through app/core's workflow).

#include "offers_view.h"

#include <imgui.h>

#include "berth/core/case_log.h"

namespace berth::ui {

void OffersView::Draw(PanelContext& ctx, const std::vector<OfferView>& offers) {
  if (offers.empty()) {
    ImGui::TextDisabled("No offers yet: choose options and send the anonymised package (O).");
    return;
  }
  static const char* kReasons[] = {
      "no_capacity", "cannot_meet_needs", "not_compatible", "infection", "staffing", "price", "other"};
  if (!ImGui::BeginTable("offers_t", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) return;
  // The answer buttons get the room they need; the names and dates share the rest.
  const float em = ImGui::GetFontSize();
  ImGui::TableSetupColumn("Offer to", ImGuiTableColumnFlags_WidthStretch, 1.4f);
  ImGui::TableSetupColumn("Answer by", ImGuiTableColumnFlags_WidthStretch, 0.8f);
  ImGui::TableSetupColumn("Answer", ImGuiTableColumnFlags_WidthStretch, 1.0f);
  ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed, em * 24);
  ImGui::TableHeadersRow();
  for (size_t i = 0; i < offers.size(); ++i) {
    const OfferView& o = offers[i];
    ImGui::PushID(static_cast<int>(i));
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::Text("%s%s", o.provider_name.c_str(), o.room.empty() ? "" : (", room " + o.room).c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(core::CaseTime(o.respond_by).c_str());
    ImGui::TableNextColumn();
    if (o.status == "declined") {
      ImGui::Text("declined: %s", o.decline_reason.c_str());
    } else {
      ImGui::TextUnformatted(o.status.c_str());
    }
    ImGui::TableNextColumn();
    auto answer = [&](bool accept, const char* reason) {
      ctx.commands.Push(cmd::AnswerOffer{
          .offer_id = o.id, .provider_name = o.provider_name, .accept = accept, .decline_reason = reason});
    };
    if (o.status == "pending") {
      if (ImGui::SmallButton("Accepted")) answer(true, "");
      ImGui::SameLine();
      ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
      ImGui::Combo("##why", &decline_reason_, kReasons, IM_ARRAYSIZE(kReasons));
      ImGui::SameLine();
      if (ImGui::SmallButton("Declined")) answer(false, kReasons[decline_reason_]);
      ImGui::SameLine();
    }
    if (o.status == "pending" || o.status == "accepted") {
      if (ImGui::SmallButton("Withdraw"))
        ctx.commands.Push(cmd::WithdrawOffer{.offer_id = o.id, .provider_name = o.provider_name});
    }
    ImGui::PopID();
  }
  ImGui::EndTable();
}

}  // namespace berth::ui
