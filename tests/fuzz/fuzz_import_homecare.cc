// libFuzzer target: the homecare capacity return importer on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_import_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  berth::fuzz::CheckImport([&](berth::Store& s) { return berth::core::ImportHomecareReturn(s, text); });
  return 0;
}
