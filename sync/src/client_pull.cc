// The session's pull (sync_session.h): the rows this device's role and scope allow, page by page or as a
// full snapshot, each page applied with the store's field-level merge in one batch, and rows a snapshot no
// longer has removed (PROTOCOL.md section 6).

#include "sync_session.h"

namespace berth::sync::internal {

Status SyncSession::PullAll() {
  BERTH_ASSIGN_OR_RETURN(std::string cursor_text, GetText(db_, "cursor"));
  uint64_t cursor = cursor_text.empty() ? 0 : std::stoull(cursor_text);
  // Not BERTH_ASSIGN_OR_RETURN: GCC 12's -O2 reports the moved-into string as maybe uninitialised.
  const Result<std::string> snap_text = GetText(db_, "snapshot_in_progress");
  if (!snap_text.ok()) return snap_text.status();
  bool snapshot = *snap_text == "1";
  summary_.snapshot = summary_.snapshot || snapshot;  // resuming an interrupted snapshot
  // A pull that starts from 0 copies everything in scope, so every row the device holds when it passes the
  // horizon came in this pull and is current: it goes on from there with snapshot pages (which the hub
  // serves below the horizon, tombstones included) and applies them as a pull, with nothing to forget.
  const bool from_zero = cursor == 0 && !snapshot;
  bool past_horizon = false;
  auto request = [&](uint64_t from) {
    PullRequest req;
    req.cursor = from;
    req.max_rows = options_.pull_page;
    req.snapshot = (snapshot || past_horizon) ? 1 : 0;
    return Encode(req);
  };
  std::unique_ptr<Ahead> ahead;  // the next page, asked for while this one is applied
  while (!Cancelled()) {
    Report("pull");
    BERTH_ASSIGN_OR_RETURN(Response resp, Exchange(MessageType::kPull, request(cursor), std::move(ahead)));
    BERTH_ASSIGN_OR_RETURN(PullResponse page, DecodePullResponse(resp.body));
    if (page.snapshot_required && from_zero && !past_horizon) {
      past_horizon = true;
      continue;  // the same cursor, asked again as a snapshot page
    }
    if (page.snapshot_required) {
      // Behind the tombstone horizon: start a snapshot from 0 (remembered, so a cut resumes it).
      const Status begun = db_.Transaction([&]() -> Status {
        BERTH_RETURN_IF_ERROR(db_.Exec("DELETE FROM sync_state WHERE key LIKE 'snapshot_seen:%'"));
        BERTH_RETURN_IF_ERROR(PutText(db_, "snapshot_in_progress", "1"));
        return PutText(db_, "cursor", "0");
      });
      if (!begun.ok()) return begun;
      snapshot = true;
      cursor = 0;
      summary_.snapshot = true;
      continue;
    }
    summary_.pull_pages++;
    if (page.more && !Cancelled()) {
      BERTH_ASSIGN_OR_RETURN(ahead, SendAhead(MessageType::kPull, request(page.next_cursor)));
    }
    const Status applied = ApplyPage(page, snapshot);
    if (!applied.ok()) return applied;
    summary_.pulled_rows += static_cast<int64_t>(page.rows.size());
    cursor = page.next_cursor;
    if (!page.more) break;
    if (snapshot && !page.more) snapshot = false;
  }
  return Status::Ok();
}

bool SyncSession::SettingFromHubAccepted(const RowState& row) {
  const SettingSpec* spec = FindSetting(row.row_id);
  if (spec == nullptr || !spec->syncs) return false;
  if (row.deleted) return true;
  for (const auto& f : row.fields) {
    if (f.name != "value") continue;
    const auto* text = std::get_if<std::string>(&f.value);
    return text != nullptr && ValidateSetting(spec->key, *text).ok();
  }
  return false;
}

Status SyncSession::ApplyPage(const PullResponse& page, bool snapshot) {
  return store_.Batch([&]() -> Status {
    std::string newest;  // the device clock moves past every stamp pulled, once per page
    for (const RowState& row : page.rows) {
      if (schema_.Columns(row.entity) == nullptr) continue;
      if (row.entity == "setting" && !SettingFromHubAccepted(row)) {
        summary_.refused_rows++;
        continue;
      }
      newest = std::max(newest, row.row_hlc);
      for (const auto& f : row.fields) newest = std::max(newest, f.hlc);
      BERTH_RETURN_IF_ERROR(internal::MergeRowState(store_, schema_, row));
      if (snapshot) {
        const std::string key = "snapshot_seen:" + row.entity + ":" + row.row_id;
        BERTH_RETURN_IF_ERROR(PutText(db_, key, ""));
      }
    }
    if (snapshot && !page.more) BERTH_RETURN_IF_ERROR(FinishSnapshot());
    if (!newest.empty()) BERTH_RETURN_IF_ERROR(store_.ObserveClock(newest));
    return PutText(db_, "cursor", std::to_string(page.next_cursor));
  });
}

Status SyncSession::FinishSnapshot() {
  for (const auto& entity : schema_.Entities()) {
    std::vector<std::string> gone;
    BERTH_ASSIGN_OR_RETURN(
        Statement s,
        db_.Cached("SELECT id FROM \"" + entity +
                   "\" t WHERE NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'snapshot_seen:" + entity +
                   ":' || t.id) AND NOT EXISTS (SELECT 1 FROM outbox o WHERE"
                   " o.entity = ? AND o.row_id = t.id)"));
    s.Bind(1, entity);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
      if (!r) break;
      gone.push_back(s.Text(0));
    }
    for (const auto& id : gone) {
      RowState absent;
      absent.entity = entity;
      absent.row_id = id;
      absent.absent = 1;
      BERTH_RETURN_IF_ERROR(internal::ForceRowState(store_, schema_, absent));
    }
  }
  BERTH_RETURN_IF_ERROR(db_.Exec("DELETE FROM sync_state WHERE key LIKE 'snapshot_seen:%'"));
  return PutText(db_, "snapshot_in_progress", "0");
}

}  // namespace berth::sync::internal
