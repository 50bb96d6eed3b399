// The one place a build's KDF policy is decided (schema/include/berth/schema/store.h, KdfParams): a test
// build is compiled with BERTH_TEST_ONLY_KDF=1 (CMake option BERTH_TEST_ONLY_KDF, on in the debug preset,
// refused with a release build type). This file holds nothing else, so a release-policy variant of the
// store library needs only this file compiled again (tests/schema/kdf_release_probe.cc).
#include "berth/schema/store.h"

namespace berth {

bool KdfParams::TestOnlyKdfBuild() {
#if defined(BERTH_TEST_ONLY_KDF) && BERTH_TEST_ONLY_KDF
  return true;
#else
  return false;
#endif
}

}  // namespace berth
