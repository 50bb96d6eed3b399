// A window on the small fixture store (ui_fixture.h), driven headless, with the checks the command tests
// share: what a command wrote (outbox, audit), and a refusal that writes nothing.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "headless.h"
#include "shell.h"
#include "support/test_support.h"
#include "ui_fixture.h"

namespace berth::ui::uitest {

class WindowHarness : public ::testing::Test {
 protected:
  void SetUp() override {
    fx_ = MakeFixture(tmp_.Sub("store"));
    ASSERT_NE(fx_.store, nullptr);
    shell_ = std::make_unique<Shell>(tmp_.Sub("store"), "test-broker");
    shell_->session().Adopt(std::move(fx_.store));
    ui_.Frame(*shell_);
    ui_.Settle(*shell_);
  }
  void TearDown() override { shell_.reset(); }
  // The store, read from the test thread while the worker is idle (the two never overlap).
  Store& store() {
    shell_->Settle();
    return *shell_->session().store();
  }
  int64_t Count(const std::string& sql) { return *store().db().QueryInt(sql); }
  // What a change leaves behind: the outbox's last entry and the audit entries other than views.
  std::pair<int64_t, int64_t> Written() {
    return {Count("SELECT coalesce(max(seq), 0) FROM outbox"),
            Count("SELECT count(*) FROM audit WHERE action <> 'view'")};
  }
  void Send(Command c) {
    shell_->commands().Push(std::move(c));
    ui_.Settle(*shell_);
  }
  const std::string& Message() { return shell_->workspace().last_message; }
  bool Refused() { return shell_->workspace().last_message_is_error; }
  // A refused command: the workflow's words, and nothing written.
  void ExpectRefused(Command c, const std::string& says) {
    const auto before = Written();
    Send(std::move(c));
    EXPECT_TRUE(Refused()) << Message();
    EXPECT_NE(Message().find(says), std::string::npos) << Message();
    EXPECT_EQ(Written(), before);
  }

  berth::testing::TempDir tmp_;
  HeadlessImGui ui_;
  Fixture fx_;
  std::unique_ptr<Shell> shell_;
};

}  // namespace berth::ui::uitest
