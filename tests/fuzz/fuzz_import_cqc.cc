// libFuzzer target: the CQC directory importer on arbitrary bytes. Never crashes; refused input changes
// nothing (see fuzz_import_common.h). Built and run by fuzz.cmake.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_import_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto& geo = **berth::core::DefaultGeography();
  berth::fuzz::CheckImport([&](berth::Store& s) { return berth::core::ImportCqcDirectory(s, geo, text); });
  return 0;
}
