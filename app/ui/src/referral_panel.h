// The referral form: create or edit a referral, validated as the broker types (NHS number check digit,
// postcodes, dates), needs as checkboxes grouped the way a broker thinks of them, notes, and the person's
// history from the audit trail. Saving pushes a kSaveReferral event; the shell writes it through
// Store::Write on the store's thread.
#pragma once

#include <string>
#include <vector>

#include "panel.h"

namespace berth::ui {

// "" when the text is a plausible UK postcode ("PE29 6NT", "CB2 0QQ"), else what is wrong.
std::string PostcodeProblem(const std::string& text);
// "" for a real 'YYYY-MM-DD' date, else what is wrong.
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
  void DrawHistory(const ReferralDetail& detail);

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
};

}  // namespace berth::ui
