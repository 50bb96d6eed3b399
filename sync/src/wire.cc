// Encoding of the sync messages (wire.h) with cereal, bounded so a hostile body cannot exhaust memory.

#include "berth/sync/wire.h"

#include <sodium.h>
#include <zstd.h>

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <cstring>
#include <sstream>

#include "berth/schema/binary_encoding.h"
#include "bounded_archive.h"

namespace berth::sync {

namespace {

template <class T>
Result<T> DecodeAny(const Bytes& bytes, const char* what) {
  T m;
  try {
    internal::BoundedInputArchive ar(bytes.data(), bytes.size());
    ar(m);
    if (ar.remaining() != 0) return BadInput(std::string("malformed ") + what + ": trailing bytes");
  } catch (const std::exception& e) {
    return BadInput(std::string("malformed ") + what + ": " + e.what());
  }
  return m;
}

// A push request's entry count follows its 8-byte cursor: refused above the cap before anything is
// decoded. `push_at` is where the push request starts in `b`.
Status CheckPushEntryCount(const Bytes& b, size_t push_at, const char* what) {
  uint64_t count = 0;
  if (push_at <= b.size() && b.size() - push_at >= 16)
    std::memcpy(&count, b.data() + push_at + 8, sizeof count);
  if (count > kMaxPushEntries) {
    return BadInput(std::string("malformed ") + what + ": more than " + std::to_string(kMaxPushEntries) +
                    " entries");
  }
  return Status::Ok();
}

Status CheckMutation(const Mutation& m) {
  const auto kind = static_cast<uint8_t>(m.kind);
  if (kind < 1 || kind > 3) return BadInput("malformed mutation: unknown kind");
  return Status::Ok();
}

}  // namespace

Bytes Encode(const Request& m) {
  return EncodeBinary(m);
}
Bytes Encode(const Response& m) {
  return EncodeBinary(m);
}
Bytes Encode(const PushRequest& m) {
  return EncodeBinary(m);
}
Bytes Encode(const PushResponse& m) {
  return EncodeBinary(m);
}
Bytes Encode(const PullRequest& m) {
  return EncodeBinary(m);
}
Bytes Encode(const PullResponse& m) {
  return EncodeBinary(m);
}
Bytes Encode(const EnrollRequest& m) {
  return EncodeBinary(m);
}
Bytes Encode(const EnrollResponse& m) {
  return EncodeBinary(m);
}
Bytes Encode(const CourierKeyRequest& m) {
  return EncodeBinary(m);
}
Bytes Encode(const CourierKeyResponse& m) {
  return EncodeBinary(m);
}
Bytes Encode(const SpooledBatch& m) {
  return EncodeBinary(m);
}
Bytes Encode(const SpoolAnswer& m) {
  return EncodeBinary(m);
}
Bytes Encode(const SpoolPage& m) {
  return EncodeBinary(m);
}
Bytes Encode(const SpoolUploadAnswer& m) {
  return EncodeBinary(m);
}
Bytes Encode(const SpoolPullAnswer& m) {
  return EncodeBinary(m);
}
Bytes Encode(const RowState& m) {
  return EncodeBinary(m);
}

Result<Request> DecodeRequest(const Bytes& b) {
  return DecodeAny<Request>(b, "request");
}
Result<Response> DecodeResponse(const Bytes& b) {
  return DecodeAny<Response>(b, "response");
}
Result<PushRequest> DecodePushRequest(const Bytes& b) {
  BERTH_RETURN_IF_ERROR(CheckPushEntryCount(b, 0, "push request"));
  BERTH_ASSIGN_OR_RETURN(PushRequest m, DecodeAny<PushRequest>(b, "push request"));
  for (const auto& e : m.entries) BERTH_RETURN_IF_ERROR(CheckMutation(e.mutation));
  return m;
}
Result<PushResponse> DecodePushResponse(const Bytes& b) {
  return DecodeAny<PushResponse>(b, "push response");
}
Result<PullRequest> DecodePullRequest(const Bytes& b) {
  return DecodeAny<PullRequest>(b, "pull request");
}
Result<PullResponse> DecodePullResponse(const Bytes& b) {
  return DecodeAny<PullResponse>(b, "pull response");
}
Result<EnrollRequest> DecodeEnrollRequest(const Bytes& b) {
  return DecodeAny<EnrollRequest>(b, "enroll request");
}
Result<EnrollResponse> DecodeEnrollResponse(const Bytes& b) {
  return DecodeAny<EnrollResponse>(b, "enroll response");
}
Result<CourierKeyRequest> DecodeCourierKeyRequest(const Bytes& b) {
  return DecodeAny<CourierKeyRequest>(b, "courier key request");
}
Result<CourierKeyResponse> DecodeCourierKeyResponse(const Bytes& b) {
  return DecodeAny<CourierKeyResponse>(b, "courier key response");
}
Result<SpooledBatch> DecodeSpooledBatch(const Bytes& b) {
  // Its push request follows the batch id (a length-prefixed byte string) and the 8-byte after_seq.
  uint64_t id_size = 0;
  if (b.size() >= sizeof id_size) std::memcpy(&id_size, b.data(), sizeof id_size);
  if (id_size <= b.size()) {
    BERTH_RETURN_IF_ERROR(CheckPushEntryCount(b, sizeof id_size + id_size + 8, "spooled batch"));
  }
  BERTH_ASSIGN_OR_RETURN(SpooledBatch m, DecodeAny<SpooledBatch>(b, "spooled batch"));
  for (const auto& e : m.push.entries) BERTH_RETURN_IF_ERROR(CheckMutation(e.mutation));
  return m;
}
Result<SpoolAnswer> DecodeSpoolAnswer(const Bytes& b) {
  return DecodeAny<SpoolAnswer>(b, "spool answer");
}
Result<SpoolPage> DecodeSpoolPage(const Bytes& b) {
  return DecodeAny<SpoolPage>(b, "spool page");
}
Result<SpoolUploadAnswer> DecodeSpoolUploadAnswer(const Bytes& b) {
  return DecodeAny<SpoolUploadAnswer>(b, "spool upload answer");
}
Result<SpoolPullAnswer> DecodeSpoolPullAnswer(const Bytes& b) {
  return DecodeAny<SpoolPullAnswer>(b, "spool pull answer");
}
Result<RowState> DecodeRowState(const Bytes& b) {
  return DecodeAny<RowState>(b, "row");
}

// zstd level 1: on push batches and pull pages it was both faster and smaller than level 3 (40 vs 47 bytes
// per pushed change, 28 vs 32 per pulled row; bench_sync).
// A frame is written into the thread's scratch buffer and only its own bytes are copied out: a Bytes of
// ZSTD_compressBound (about the batch's plain size) was zero-filled for every push batch, an eighth of
// Compress's instructions. What the frame left in the scratch is wiped (it is the batch, compressed).
Bytes Compress(const Bytes& plain) {
  if (plain.size() > 512) {
    thread_local std::vector<uint8_t> scratch;
    const size_t bound = ZSTD_compressBound(plain.size());
    if (scratch.size() < bound) scratch.resize(bound);
    const size_t n = ZSTD_compress(scratch.data(), bound, plain.data(), plain.size(), 1);
    const bool written = !ZSTD_isError(n);
    if (written && n + 1 < plain.size() * 9 / 10) {
      Bytes out(n + 1);
      out[0] = 1;
      std::memcpy(out.data() + 1, scratch.data(), n);
      sodium_memzero(scratch.data(), n);
      return out;
    }
    sodium_memzero(scratch.data(), written ? n : bound);  // a failed frame may have written anywhere
  }
  Bytes out;
  out.reserve(plain.size() + 1);
  out.push_back(0);
  out.insert(out.end(), plain.begin(), plain.end());
  return out;
}

Result<Bytes> Decompress(const Bytes& payload, size_t max_bytes) {
  if (payload.empty()) return BadInput("malformed payload: empty");
  if (payload[0] == 0) return Bytes(payload.begin() + 1, payload.end());
  if (payload[0] != 1) return BadInput("malformed payload: unknown compression");
  const unsigned long long size = ZSTD_getFrameContentSize(payload.data() + 1, payload.size() - 1);
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_bytes) {
    return BadInput("malformed payload: bad or oversized zstd frame");
  }
  Bytes out(static_cast<size_t>(size));
  const size_t n = ZSTD_decompress(out.data(), out.size(), payload.data() + 1, payload.size() - 1);
  if (ZSTD_isError(n) || n != size) return BadInput("malformed payload: zstd frame does not decode");
  return out;
}

}  // namespace berth::sync
