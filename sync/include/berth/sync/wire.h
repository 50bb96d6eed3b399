// The sync protocol's messages (sync/PROTOCOL.md, section 5) and their encoding: cereal binary archives,
// zstd-compressed where it pays. Every Decode* refuses malformed bytes with kBadInput and never crashes or
// allocates more than the input justifies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/schema/mutation.h"
#include "berth/schema/status.h"

namespace berth::sync {

using Bytes = std::vector<uint8_t>;

// 1-4 on /v1/sync (device keys); 5-6 on /v1/courier (courier keys; PROTOCOL.md section 11).
enum class MessageType : uint8_t {
  kPing = 1,
  kPush = 2,
  kPull = 3,
  kCourierKey = 4,
  kSpoolUpload = 5,
  kSpoolPull = 6,
};

// Response.error (PROTOCOL.md section 9).
enum class WireError : uint8_t {
  kOk = 0,
  kVersionMismatch = 1,
  kBadMessage = 2,
  kRevoked = 3,
  kNotPermitted = 4,
  kInternal = 5,
  kSnapshotRequired = 6,
  kOutOfOrder = 7,  // a spooled batch whose predecessor has not reached the hub
};

struct Request {
  uint32_t version = 0;
  uint8_t type = 0;
  Bytes body;
  template <class A>
  void serialize(A& ar) {
    ar(version, type, body);
  }
};

struct Response {
  uint32_t version = 0;
  uint8_t type = 0;
  uint8_t error = 0;
  std::string message;
  int64_t hub_time_ms = 0;
  Bytes body;
  template <class A>
  void serialize(A& ar) {
    ar(version, type, error, message, hub_time_ms, body);
  }
};

struct OutboxEntry {
  uint64_t seq = 0;
  Mutation mutation;
  template <class A>
  void serialize(A& ar) {
    ar(seq, mutation);
  }
};

struct PushRequest {
  uint64_t cursor = 0;  // the device's pull cursor: lets the hub skip echoing the device's own rows back
  std::vector<OutboxEntry> entries;
  // The last entry of the batch this one follows in the same sync (0: none). The hub applies this batch
  // only once that entry is acknowledged, so the device may send it before the earlier batch is
  // answered (PROTOCOL.md section 5; protocol 5). Ignored inside a spooled batch, which has `after_seq`.
  uint64_t follows_seq = 0;
  template <class A>
  void serialize(A& ar) {
    ar(cursor, entries, follows_seq);
  }
};

// A field's value and clock. An empty hlc (and origin; protocol 2) means the field has its row's clock,
// which is most fields of most rows.
struct FieldState {
  std::string name;
  Value value;
  std::string hlc;
  std::string origin;
  bool HasRowClock() const { return hlc.empty(); }
  template <class A>
  void serialize(A& ar) {
    ar(name, value, hlc, origin);
  }
};

// A row as the hub holds it: every field with its own clock. Applying it through Store::ApplyRemote (one
// mutation per distinct clock) gives the same row and clocks on any replica.
struct RowState {
  std::string entity;
  std::string row_id;
  std::string row_hlc;
  std::string row_origin;
  uint8_t deleted = 0;
  uint8_t absent = 0;  // authoritative answers only: the hub has no such row
  std::vector<FieldState> fields;
  template <class A>
  void serialize(A& ar) {
    ar(entity, row_id, row_hlc, row_origin, deleted, absent, fields);
  }
};

enum class Outcome : uint8_t { kApplied = 1, kDuplicate = 2, kRejected = 3 };

struct MutationResult {
  uint64_t seq = 0;
  uint8_t outcome = 0;  // Outcome
  std::string reason_code;
  std::string reason;
  std::vector<RowState> authoritative;
  template <class A>
  void serialize(A& ar) {
    ar(seq, outcome, reason_code, reason, authoritative);
  }
};

struct PushResponse {
  uint64_t acked_through = 0;
  std::vector<MutationResult> results;
  template <class A>
  void serialize(A& ar) {
    ar(acked_through, results);
  }
};

struct PullRequest {
  uint64_t cursor = 0;
  uint32_t max_rows = 0;
  uint8_t snapshot = 0;
  template <class A>
  void serialize(A& ar) {
    ar(cursor, max_rows, snapshot);
  }
};

struct PullResponse {
  std::vector<RowState> rows;
  uint64_t next_cursor = 0;
  uint8_t more = 0;
  uint8_t snapshot_required = 0;
  uint64_t horizon = 0;
  template <class A>
  void serialize(A& ar) {
    ar(rows, next_cursor, more, snapshot_required, horizon);
  }
};

struct EnrollRequest {
  uint32_t version = 0;
  std::string device_id;
  std::string name_hint;
  Bytes sign_pk;
  Bytes kx_pk;
  int64_t now_ms = 0;
  template <class A>
  void serialize(A& ar) {
    ar(version, device_id, name_hint, sign_pk, kx_pk, now_ms);
  }
};

struct EnrollResponse {
  uint32_t version = 0;
  std::string device_id;
  std::string name;
  std::string role;
  std::string scope;
  Bytes hub_sign_pk;
  Bytes hub_kx_pk;
  int64_t hub_time_ms = 0;
  template <class A>
  void serialize(A& ar) {
    ar(version, device_id, name, role, scope, hub_sign_pk, hub_kx_pk, hub_time_ms);
  }
};

// --- sync while locked (PROTOCOL.md section 11) ---------------------------------------------------------

// Type 4, a live device request: the public keys of the device's new courier.
struct CourierKeyRequest {
  Bytes sign_pk;
  Bytes kx_pk;
  template <class A>
  void serialize(A& ar) {
    ar(sign_pk, kx_pk);
  }
};

struct CourierKeyResponse {
  int64_t registered_ms = 0;
  int64_t expires_ms = 0;
  template <class A>
  void serialize(A& ar) {
    ar(registered_ms, expires_ms);
  }
};

// Inside a spooled-push box (device -> hub): a live push batch, and the seq the hub must have reached.
struct SpooledBatch {
  Bytes batch_id;  // 16 random bytes, echoed in the answer
  uint64_t after_seq = 0;
  PushRequest push;
  template <class A>
  void serialize(A& ar) {
    ar(batch_id, after_seq, push);
  }
};

// Inside a push-answer box (hub -> device).
struct SpoolAnswer {
  Bytes batch_id;
  PushResponse response;
  template <class A>
  void serialize(A& ar) {
    ar(batch_id, response);
  }
};

// Inside a pull-page box (hub -> device).
struct SpoolPage {
  uint64_t from_cursor = 0;
  PullResponse page;
  template <class A>
  void serialize(A& ar) {
    ar(from_cursor, page);
  }
};

// Answer bodies of the courier's requests: clear to the courier (inside its sealed exchange), the boxes
// sealed to the device.
struct SpoolUploadAnswer {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t acked_through = 0;
  Bytes answer_box;
  template <class A>
  void serialize(A& ar) {
    ar(first_seq, last_seq, acked_through, answer_box);
  }
};

struct SpoolPullAnswer {
  uint64_t from_cursor = 0;
  uint64_t next_cursor = 0;
  uint8_t more = 0;
  uint8_t snapshot_required = 0;
  Bytes page_box;
  template <class A>
  void serialize(A& ar) {
    ar(from_cursor, next_cursor, more, snapshot_required, page_box);
  }
};

// Plain cereal binary encodings.
Bytes Encode(const Request& m);
Bytes Encode(const Response& m);
Bytes Encode(const PushRequest& m);
Bytes Encode(const PushResponse& m);
Bytes Encode(const PullRequest& m);
Bytes Encode(const PullResponse& m);
Bytes Encode(const EnrollRequest& m);
Bytes Encode(const EnrollResponse& m);
Bytes Encode(const CourierKeyRequest& m);
Bytes Encode(const CourierKeyResponse& m);
Bytes Encode(const SpooledBatch& m);
Bytes Encode(const SpoolAnswer& m);
Bytes Encode(const SpoolPage& m);
Bytes Encode(const SpoolUploadAnswer& m);
Bytes Encode(const SpoolPullAnswer& m);
Bytes Encode(const RowState& m);  // one row as the PostgreSQL hub seals it (PROTOCOL.md section 10)

Result<Request> DecodeRequest(const Bytes& bytes);
Result<Response> DecodeResponse(const Bytes& bytes);
Result<PushRequest> DecodePushRequest(const Bytes& bytes);
Result<PushResponse> DecodePushResponse(const Bytes& bytes);
Result<PullRequest> DecodePullRequest(const Bytes& bytes);
Result<PullResponse> DecodePullResponse(const Bytes& bytes);
Result<EnrollRequest> DecodeEnrollRequest(const Bytes& bytes);
Result<EnrollResponse> DecodeEnrollResponse(const Bytes& bytes);
Result<CourierKeyRequest> DecodeCourierKeyRequest(const Bytes& bytes);
Result<CourierKeyResponse> DecodeCourierKeyResponse(const Bytes& bytes);
Result<SpooledBatch> DecodeSpooledBatch(const Bytes& bytes);
Result<SpoolAnswer> DecodeSpoolAnswer(const Bytes& bytes);
Result<SpoolPage> DecodeSpoolPage(const Bytes& bytes);
Result<SpoolUploadAnswer> DecodeSpoolUploadAnswer(const Bytes& bytes);
Result<SpoolPullAnswer> DecodeSpoolPullAnswer(const Bytes& bytes);
Result<RowState> DecodeRowState(const Bytes& bytes);

inline constexpr size_t kMaxBodyBytes = 16u << 20;  // on the wire, either way
// Inside a payload, decompressed: what the hub accepts from a device (a push batch is cut at 4 MiB of
// mutations) and what a device accepts from the hub (a pull page of up to 20,000 rows).
inline constexpr size_t kMaxRequestBytes = 16u << 20;
inline constexpr size_t kMaxDecompressedBytes = 64u << 20;
inline constexpr uint64_t kMaxPushEntries = 5000;  // entries in one push request, checked before decoding

// A payload: one byte of compression (0 raw, 1 zstd) then the bytes. Compress() picks zstd when it pays.
Bytes Compress(const Bytes& plain);
// Refuses, before allocating, a frame that does not declare its size or declares more than `max_bytes`.
Result<Bytes> Decompress(const Bytes& payload, size_t max_bytes = kMaxDecompressedBytes);

}  // namespace berth::sync
