// libFuzzer target: every decoder of the sync protocol (sync/PROTOCOL.md) on arbitrary bytes. None may
// crash, hang, leak or allocate beyond the input; each answers a value or kBadInput/kIntegrity.
// Built with clang -fsanitize=fuzzer,address,undefined by tests/fuzz/fuzz.cmake; sync_tests also runs
// this entry point over mutated valid messages under GCC's sanitizers. fuzz_sync_push.cc goes further
// with whole pushes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "berth/sync/crypto.h"
#include "berth/sync/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::sync;
  const Bytes bytes(data, data + size);
  (void)DecodeEnvelope(bytes);
  (void)DecodeRequest(bytes);
  (void)DecodeResponse(bytes);
  (void)DecodePushRequest(bytes);
  (void)DecodePushResponse(bytes);
  (void)DecodePullRequest(bytes);
  (void)DecodePullResponse(bytes);
  (void)DecodeEnrollRequest(bytes);
  (void)DecodeEnrollResponse(bytes);
  (void)EnrollEnvelopeCodeId(bytes);
  (void)DecodeCourierKeyRequest(bytes);
  (void)DecodeCourierKeyResponse(bytes);
  (void)DecodeSpooledBatch(bytes);
  (void)DecodeSpoolAnswer(bytes);
  (void)DecodeSpoolPage(bytes);
  (void)DecodeSpoolUploadAnswer(bytes);
  (void)DecodeSpoolPullAnswer(bytes);
  (void)DecodeBox(bytes);
  if (auto plain = Decompress(bytes); plain.ok()) {
    (void)DecodeRequest(*plain);
    (void)DecodePushRequest(*plain);
  }
  static const berth::Secret key = berth::Secret::Random(32);
  (void)OpenEnroll(key, bytes, false, nullptr);
  static const Bytes verifier(32, 7);
  (void)OpenEnroll(key, bytes, false, &verifier);
  return 0;
}
