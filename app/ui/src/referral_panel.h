// The referral form: create or edit a referral, validated as the broker types (NHS number check digit,
// postcodes, dates), needs as checkboxes grouped the way a broker thinks of them, notes, and the person's
// history (its case log in words, core::CaseLog). The checks are app/core's (referrals.h,
// ReferralProblems), shown as typed; saving pushes a kSaveReferral command that the shell hands to
// core::SaveReferral on the store's thread.
// The status and the hand-back priority are shown, never edited: they change only through the workflow.
#pragma once

#include <string>
#include <vector>

#include "panel.h"

namespace berth::ui {

// app/core's checks (referrals.h): "" when the text is a UK postcode ("PE29 6NT", "CB2 0QQ"), else what
// is wrong; "" for a real 'YYYY-MM-DD' date, else what is wrong.
std::string PostcodeProblem(const std::string& text);
std::string DateProblem(const std::string& text);
// "PE296NT" -> "PE29 6NT"
std::string NormalisePostcode(const std::string& text);

class ReferralPanel : public Panel {
 public:
  PanelId id() const override { return PanelId::kReferral; }
  void Draw(PanelContext& ctx) override;
  void OnShow() override { focus_first_ = true; }
  void Clear() override;

  // Starts editing `id` ('' = a new referral).
  void Open(const std::string& id);
  void OnSaved(const std::string& id);
  // Every problem with the form as it stands (empty when it may be saved).
  std::vector<std::string> Problems() const;
  // The referral the form would save, and what app/core says is wrong with one of its fields.
  Referral Edited() const;
  std::string ProblemWith(const std::string& field) const;
  const Referral& draft() const { return draft_; }
  const std::string& editing_id() const { return editing_id_; }

 private:
  void Populate(const Referral& r);
  void Save(PanelContext& ctx);
  void DrawPerson();
  void DrawPlace();
  void DrawCare();
  void DrawNeeds();
  void DrawHomecare();
  void DrawHistory(PanelContext& ctx, const ReferralDetail& detail);
  void DrawHandBack(PanelContext& ctx);
  void DrawLifecycle(PanelContext& ctx);

  bool open_ = false;       // false until Open(): the panel then opens the selected referral
  std::string editing_id_;  // '' for a new referral
  bool is_new_ = true;
  bool populated_ = false;
  bool focus_first_ = true;
  bool dirty_ = false;
  Referral draft_;
  std::string nhs_, name_, dob_, postcode_, preferred_, drd_, broker_, notes_;
  float max_km_ = 0;
  float budget_pounds_ = 0;
  int hospital_ = 0;
  HandbackReason handback_reason_ = HandbackReason::kNone;
  std::string handback_end_;
  CancelReason cancel_reason_ = CancelReason::kNone;
};

}  // namespace berth::ui
