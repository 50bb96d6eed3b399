// The session's push (sync_session.h): the outbox read in batches and sent in order, pipelined, and each
// answer recorded in one transaction: acknowledged entries dropped, rejected claims turned into conflicts
// and rolled back to the hub's state (PROTOCOL.md sections 5 and 7).

#include "berth/schema/binary_encoding.h"
#include "sync_session.h"

namespace berth::sync::internal {

Result<PushRequest> SyncSession::NextPushBatch(uint64_t after_seq) {
  PushRequest req;
  BERTH_ASSIGN_OR_RETURN(std::string cursor, GetText(db_, "cursor"));
  req.cursor = cursor.empty() ? 0 : std::stoull(cursor);
  BERTH_ASSIGN_OR_RETURN(Statement s, db_.Cached(std::string("SELECT seq, ") + kOutboxEntryColumns +
                                                 " FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?"));
  s.Bind(1, static_cast<int64_t>(after_seq))
      .Bind(2, static_cast<int64_t>(std::min<uint64_t>(options_.push_batch, kMaxPushEntries)));
  size_t bytes = 0;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
    if (!r) break;
    OutboxEntry e;
    e.seq = static_cast<uint64_t>(s.Int(0));
    BERTH_ASSIGN_OR_RETURN(e.mutation, ReadOutboxEntry(s, 1));
    // What push_batch_bytes limits is the request's encoding: the outbox keeps an entry in fewer bytes
    // (schema/FORMAT.md, "Outbox"), so counting its stored payload would let a batch grow past the
    // budget and, at worst, past what the hub accepts.
    const size_t entry_bytes = EncodedSize(e);
    if (!req.entries.empty() && bytes + entry_bytes > options_.push_batch_bytes) break;
    bytes += entry_bytes;
    req.entries.push_back(std::move(e));
  }
  return req;
}

Result<bool> SyncSession::PushAll() {
  bool wrote_local = false;
  BERTH_ASSIGN_OR_RETURN(PushRequest req, NextPushBatch(0));
  Bytes body = Encode(req);
  std::unique_ptr<Ahead> ahead;
  for (int batch = 0; batch < options_.max_push_batches && !req.entries.empty() && !Cancelled(); ++batch) {
    Report("push");
    if (ahead == nullptr) {
      BERTH_ASSIGN_OR_RETURN(ahead, SendAhead(MessageType::kPush, body));
    }
    PushRequest next;
    Bytes next_body;
    std::unique_ptr<Ahead> next_ahead;
    if (batch + 1 < options_.max_push_batches) {
      BERTH_ASSIGN_OR_RETURN(next, NextPushBatch(req.entries.back().seq));
      if (!next.entries.empty()) {
        next.follows_seq = req.entries.back().seq;
        next_body = Encode(next);
        BERTH_ASSIGN_OR_RETURN(next_ahead, SendAhead(MessageType::kPush, next_body));
        next_ahead->follows = true;
      }
    }
    BERTH_ASSIGN_OR_RETURN(Response resp, Exchange(MessageType::kPush, body, std::move(ahead)));
    ahead = std::move(next_ahead);
    PushResponse out;
    if (resp.error == static_cast<uint8_t>(WireError::kNotPermitted)) {
      // The hub refused the batch unread (this device's role may push nothing): each entry becomes a
      // conflict the user can see, and leaves the outbox so it blocks nothing.
      out.acked_through = req.entries.back().seq;
      for (const OutboxEntry& e : req.entries) {
        MutationResult r;
        r.seq = e.seq;
        r.outcome = static_cast<uint8_t>(Outcome::kRejected);
        r.reason_code = "not_permitted";
        r.reason = resp.message;
        out.results.push_back(std::move(r));
      }
    } else {
      BERTH_ASSIGN_OR_RETURN(out, DecodePushResponse(resp.body));
    }
    if (out.results.size() != req.entries.size()) return IntegrityError("the hub answered a different batch");
    BERTH_ASSIGN_OR_RETURN(bool wrote, ApplyPushResponse(req, out));
    wrote_local = wrote_local || wrote;
    req = std::move(next);
    body = std::move(next_body);
  }
  return wrote_local;
}

std::string SyncSession::FieldText(const Mutation& m, const char* name) {
  auto it = m.fields.find(name);
  return it == m.fields.end() ? std::string() : internal::ValueText(it->second);
}

Result<bool> SyncSession::ApplyPushResponse(const PushRequest& req, const PushResponse& out) {
  bool wrote = false;
  Status st = db_.Transaction([&]() -> Status {
    std::set<std::string> requeue;
    std::map<std::string, int64_t> conflict_of;  // rejected claim's mutation id -> its conflict row
    for (size_t i = 0; i < out.results.size(); ++i) {
      const MutationResult& r = out.results[i];
      const Mutation& m = req.entries[i].mutation;
      if (r.seq != req.entries[i].seq) return IntegrityError("the hub answered out of order");
      summary_.pushed++;
      if (r.outcome == static_cast<uint8_t>(Outcome::kApplied)) summary_.applied++;
      if (r.outcome == static_cast<uint8_t>(Outcome::kDuplicate)) summary_.duplicates++;
      if (r.outcome != static_cast<uint8_t>(Outcome::kRejected)) continue;
      summary_.rejected++;
      for (const RowState& row : r.authoritative) {
        BERTH_RETURN_IF_ERROR(internal::ForceRowState(store_, schema_, row));
      }
      std::string referral = FieldText(m, "referral_id");
      if (referral.empty()) referral = FieldText(m, "held_for_referral_id");
      if (referral.empty() && m.entity == "referral") referral = m.row_id;
      std::string bed = m.entity == "bed" ? m.row_id : FieldText(m, "bed_id");
      std::string cap = m.entity == "homecare_capacity" ? m.row_id : FieldText(m, "homecare_capacity_id");
      if (!referral.empty() && (m.kind == MutationKind::kClaim || r.reason_code == "claim_lost")) {
        requeue.insert(referral);
      }
      nlohmann::json auth = nlohmann::json::array();
      for (const RowState& row : r.authoritative) {
        nlohmann::json j;
        j["entity"] = row.entity;
        j["row_id"] = row.row_id;
        j["absent"] = row.absent != 0;
        for (const auto& f : row.fields) j["fields"][f.name] = internal::ValueText(f.value);
        auth.push_back(j);
      }
      // A rejection that follows from an earlier lost claim joins that claim's conflict.
      const std::string prefix = "depends on rejected claim ";
      if (r.reason_code == "claim_lost" && r.reason.rfind(prefix, 0) == 0) {
        const std::string source = r.reason.substr(prefix.size());
        BERTH_ASSIGN_OR_RETURN(Statement find, db_.Cached("SELECT id, authoritative FROM sync_conflict"
                                                          " WHERE mutation_id = ?"));
        find.Bind(1, source);
        BERTH_ASSIGN_OR_RETURN(bool found, find.Step());
        if (found) {
          const int64_t id = find.Int(0);
          nlohmann::json j = nlohmann::json::parse(find.Text(1), nullptr, false);
          find.Reset();
          if (!j.is_object()) j = nlohmann::json::object();
          j["dependents"].push_back(
              {{"mutation_id", m.mutation_id}, {"entity", m.entity}, {"row_id", m.row_id}});
          BERTH_ASSIGN_OR_RETURN(Statement upd,
                                 db_.Cached("UPDATE sync_conflict SET authoritative = ? WHERE id = ?"));
          upd.Bind(1, j.dump()).Bind(2, id);
          BERTH_RETURN_IF_ERROR(upd.Run());
          continue;
        }
      }
      nlohmann::json record;
      record["rows"] = auth;
      record["dependents"] = nlohmann::json::array();
      BERTH_ASSIGN_OR_RETURN(
          Statement ins,
          db_.Cached("INSERT INTO sync_conflict (created_ms, mutation_id, claim, entity, row_id,"
                     " reason_code, reason, referral_id, bed_id, capacity_id, authoritative)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                     " ON CONFLICT (mutation_id) DO NOTHING"));
      ins.Bind(1, env_.NowMs()).Bind(2, m.mutation_id).Bind(3, m.claim).Bind(4, m.entity).Bind(5, m.row_id);
      ins.Bind(6, r.reason_code).Bind(7, r.reason).Bind(8, referral).Bind(9, bed).Bind(10, cap);
      ins.Bind(11, record.dump());
      BERTH_RETURN_IF_ERROR(ins.Run());
      if (db_.Changes() > 0) {
        summary_.conflicts++;
        BERTH_RETURN_IF_ERROR(store_.AppendAudit("sync_conflict", m.entity, m.row_id, r.reason_code));
      }
    }
    BERTH_ASSIGN_OR_RETURN(Statement del, db_.Cached("DELETE FROM outbox WHERE seq <= ?"));
    del.Bind(1, static_cast<int64_t>(out.acked_through));
    BERTH_RETURN_IF_ERROR(del.Run());
    // The hub has every entry up to here: where the next spooled batch may start (PROTOCOL.md section 11).
    BERTH_ASSIGN_OR_RETURN(std::string acked, GetText(db_, "acked_through"));
    if (acked.empty() || std::stoull(acked) < out.acked_through) {
      BERTH_RETURN_IF_ERROR(PutText(db_, "acked_through", std::to_string(out.acked_through)));
    }
    // A referral whose claim lost goes back in the queue (a new mutation, so every device learns it).
    for (const auto& referral : requeue) {
      BERTH_ASSIGN_OR_RETURN(auto row, internal::ReadRowValues(db_, schema_, "referral", referral));
      if (row.empty()) continue;
      // A referral back in the queue holds no capacity: placements of it that did get through (e.g. one
      // homecare band of several) made by this device are withdrawn too.
      std::vector<std::string> partial;
      {
        // Placements that take any day (berth/schema/occupancy.h), made by this device.
        BERTH_ASSIGN_OR_RETURN(Statement s,
                               db_.Cached("SELECT id FROM placement WHERE referral_id = ?1 AND origin = ?2"
                                          " AND (status = 'planned' OR status = 'active') AND " +
                                          PlacementTakesSql("''", "''")));
        s.Bind(1, referral).Bind(2, device_id_);
        while (true) {
          BERTH_ASSIGN_OR_RETURN(bool more, s.Step());
          if (!more) break;
          partial.push_back(s.Text(0));
        }
      }
      for (const auto& id : partial) {
        Mutation withdraw;
        withdraw.kind = MutationKind::kDelete;
        withdraw.entity = "placement";
        withdraw.row_id = id;
        BERTH_RETURN_IF_ERROR(store_.Write(withdraw));
        wrote = true;
      }
      const std::string status = internal::ValueText(row["status"]);
      if (status == "accepted" || status == "placed") {
        Mutation back;
        back.kind = MutationKind::kUpsert;
        back.entity = "referral";
        back.row_id = referral;
        back.fields["status"] = std::string("sourcing");
        BERTH_RETURN_IF_ERROR(store_.Write(back));
        wrote = true;
      }
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return wrote;
}

}  // namespace berth::sync::internal
