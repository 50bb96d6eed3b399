// The hub's side of sync while locked (sync/PROTOCOL.md section 11): a courier's request is a normal
// envelope (direction 3) sealed and signed with the device's courier key, fresh by its own counter and
// send time. What it carries is sealed by the device's own key (spooled pushes, applied by the same
// HubStorage::Push as a live push) or sealed by the hub to the device (answers, pull pages).
#include "berth/schema/ids.h"
#include "berth/sync/hub.h"
#include "berth/sync/version.h"
#include "hub_internal.h"

namespace berth::sync {

using internal::Log;
using internal::Plain;
using internal::Short;

namespace {

Response Refuse(Response resp, WireError error, std::string message) {
  resp.error = static_cast<uint8_t>(error);
  resp.message = std::move(message);
  return resp;
}

}  // namespace

HttpAnswer Hub::HandleCourier(const Bytes& body) {
  Opened o = OpenSealed(body, 3);
  if (o.refusal) return std::move(*o.refusal);
  // Checked after revocation: a revoked laptop is told to wipe itself however old its courier key.
  if (o.now_ms >= o.courier->registered_ms + options_.courier_ttl_ms) {
    Log("refused courier of device " + Short(o.device.device_id) + ": courier_expired");
    return Plain(401, "courier_expired");
  }
  Response out;
  switch (static_cast<MessageType>(o.request.type)) {
    case MessageType::kSpoolUpload:
      out = SpoolUpload(o.device, o.request.body, o.now_ms);
      break;
    case MessageType::kSpoolPull:
      out = SpoolPull(o.device, o.request.body);
      break;
    default:
      out = Refuse(Response{}, WireError::kBadMessage, "a courier may only upload and pull sealed boxes");
  }
  out.version = o.answer.version;
  out.type = o.answer.type;
  out.hub_time_ms = o.answer.hub_time_ms;
  return HttpAnswer{200, Answer(o.envelope, o.keys, out)};
}

Response Hub::SpoolUpload(const DeviceRecord& dev, const Bytes& box, int64_t now_ms) {
  // As a live push: a device whose role may write nothing has its batch refused before it is opened.
  if (!RoleMayWriteAny(dev.role)) {
    return Refuse(Response{}, WireError::kNotPermitted, "this device's role may not push changes");
  }
  // Only the device's own keys make a box that opens here: a courier key cannot forge one.
  auto sealed =
      OpenBox(keys_, PublicKeys{dev.sign_pk, dev.kx_pk}, BoxPurpose::kSpooledPush, dev.device_id, box);
  if (!sealed.ok()) {
    Log("spooled batch of device " + Short(dev.device_id) + " refused: not sealed by the device");
    return Refuse(Response{}, WireError::kBadMessage, "the spooled batch is not sealed by this device");
  }
  auto payload = Decompress(*sealed, kMaxRequestBytes);
  Result<SpooledBatch> batch =
      payload.ok() ? DecodeSpooledBatch(*payload) : Result<SpooledBatch>(payload.status());
  if (!batch.ok() || batch->push.entries.empty()) {
    return Refuse(Response{}, WireError::kBadMessage, "malformed spooled batch");
  }
  // acked_seq only grows, so a batch that may go now still may when Push runs.
  if (batch->after_seq > dev.acked_seq) {
    Log("spooled batch of device " + Short(dev.device_id) + " out of order");
    return Refuse(Response{}, WireError::kOutOfOrder, "an earlier spooled batch has not reached the hub");
  }
  PushStats stats;
  auto pushed = storage_->Push(dev, batch->push, now_ms, &stats);
  if (!pushed.ok()) {
    Log("spooled push from " + Short(dev.device_id) +
        " failed: " + std::string(CodeName(pushed.status().code())));
    return pushed.status().code() == Code::kBadInput
               ? Refuse(Response{}, WireError::kBadMessage, pushed.status().message())
               : Refuse(Response{}, WireError::kInternal, "internal error");
  }
  Log("spooled push from " + Short(dev.device_id) + ": " + std::to_string(stats.applied) + " applied, " +
      std::to_string(stats.duplicates) + " duplicate, " + std::to_string(stats.rejected) + " rejected");
  SpoolUploadAnswer answer;
  answer.first_seq = batch->push.entries.front().seq;
  answer.last_seq = batch->push.entries.back().seq;
  answer.acked_through = pushed->acked_through;
  auto answer_box = SealBox(keys_, dev.kx_pk, BoxPurpose::kPushAnswer, dev.device_id,
                            Compress(Encode(SpoolAnswer{batch->batch_id, std::move(pushed).value()})));
  if (!answer_box.ok()) return Refuse(Response{}, WireError::kInternal, "internal error");
  answer.answer_box = std::move(answer_box).value();
  Response resp;
  resp.body = Encode(answer);
  return resp;
}

Response Hub::SpoolPull(const DeviceRecord& dev, const Bytes& body) {
  auto pull = DecodePullRequest(body);
  if (!pull.ok() || pull->snapshot != 0) {
    return Refuse(Response{}, WireError::kBadMessage, "malformed spool pull (a snapshot needs the store)");
  }
  // The same Pull as a live one: role and scope filtering happen before anything is sealed.
  auto page = storage_->Pull(dev, *pull);
  if (!page.ok()) return Refuse(Response{}, WireError::kInternal, "internal error");
  SpoolPullAnswer answer;
  answer.from_cursor = pull->cursor;
  answer.next_cursor = page->next_cursor;
  answer.more = page->more;
  answer.snapshot_required = page->snapshot_required;
  auto page_box = SealBox(keys_, dev.kx_pk, BoxPurpose::kPullPage, dev.device_id,
                          Compress(Encode(SpoolPage{pull->cursor, std::move(page).value()})));
  if (!page_box.ok()) return Refuse(Response{}, WireError::kInternal, "internal error");
  answer.page_box = std::move(page_box).value();
  Response resp;
  resp.body = Encode(answer);
  return resp;
}

}  // namespace berth::sync
