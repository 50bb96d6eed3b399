// A fixture for tests that run the real `berth` program on a store of their own, unlocked from a
// passphrase file (0600, as berth insists) with the tests' fast KDF.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/test_support.h"

namespace berth::testing {

class BerthCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(tmp.Sub("pass")) << "demo passphrase\n";
    base = "BERTH_TEST_ONLY_FAST_KDF=1 " + Program("app/berth") + " --store " + tmp.Sub("store") +
           " --passphrase-file " + tmp.Sub("pass") + " ";
  }
  // Runs `berth ARGS` on the store; its exit code, and stdout with stderr in *out.
  int Run(const std::string& args, std::string* out = nullptr) {
    std::string o;
    const int rc = RunCommand(base + args, &o);
    if (out != nullptr) *out = o;
    return rc;
  }
  // A file of the test's own, for imports: its path.
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(tmp.Sub(name), std::ios::binary) << text;
    return tmp.Sub(name);
  }

  TempDir tmp;
  std::string base;  // the command line up to the subcommand
};

}  // namespace berth::testing
