// The store library as a release build has it: linked with its own copy of schema/src/kdf_policy.cc,
// compiled here without BERTH_TEST_ONLY_KDF (that one file is the whole of a build's KDF policy, so the
// archive's test-build copy is never pulled in). kdf_test.cc runs it as a separate process with the test
// switches set in its environment, to show a release build ignores them and refuses test-KDF stores.
//   kdf_release_probe create DIR PASSPHRASE
//   kdf_release_probe open DIR PASSPHRASE
//   kdf_release_probe passphrase DIR OLD NEW
// Exit codes as the berth CLI (0 ok, 3 wrong passphrase, 4 integrity...); the error on stderr.
#include <cstdio>
#include <string>

#include "berth/schema/store.h"

int main(int argc, char** argv) {
  using namespace berth;
  if (argc < 4) return 1;
  const std::string command = argv[1], dir = argv[2];
  Status st;
  if (KdfParams::TestOnlyKdfBuild()) {
    st = InternalError("the probe was linked with the test build's KDF policy");
  } else if (command == "create") {
    Secret recovery;
    st = Store::Create(dir, Secret(argv[3]), &recovery).status();
  } else if (command == "open") {
    st = Store::Open(dir, Secret(argv[3])).status();
  } else if (command == "passphrase" && argc == 5) {
    st = Store::ChangePassphrase(dir, Secret(argv[3]), Secret(argv[4]));
  } else {
    return 1;
  }
  if (!st.ok()) std::fprintf(stderr, "%s\n", st.ToString().c_str());
  return ExitCode(st.code());
}
