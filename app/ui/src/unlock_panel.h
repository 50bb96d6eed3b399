// The first screen: unlock the store, create one, or reset the passphrase with the recovery key.
#pragma once

#include <array>

#include "session.h"

namespace berth::ui {

class UnlockPanel {
 public:
  void Draw(WindowSession& session);

 private:
  enum class Mode { kUnlock, kCreate, kRecover };
  void DrawUnlock(WindowSession& s);
  void DrawCreate(WindowSession& s);
  void DrawRecover(WindowSession& s);
  void ClearFields();

  Mode mode_ = Mode::kUnlock;
  bool focus_ = true;
  std::string local_error_;
  // Fixed buffers, wiped after use (ImGui edits them in place).
  std::array<char, 256> passphrase_{};
  std::array<char, 256> confirm_{};
  std::array<char, 128> recovery_{};
};

// The recovery key, shown once after a store is created.
void DrawRecoveryKeyNotice(WindowSession& session);

}  // namespace berth::ui
