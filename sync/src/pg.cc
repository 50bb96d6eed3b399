// The libpq layer (pg.h).
#include "pg.h"

#include <libpq-fe.h>

#include <cstdlib>

namespace berth::sync::internal {

namespace {
constexpr int kMaxAttempts = 20;

bool Retryable(const std::string& state) {
  return state == "40001" || state == "40P01";  // serialization_failure, deadlock_detected
}
}  // namespace

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (r_ != nullptr) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

PgResult::~PgResult() {
  if (r_ != nullptr) PQclear(r_);
}

int PgResult::rows() const {
  return PQntuples(r_);
}

int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(r_);
  return n == nullptr || *n == '\0' ? 0 : std::strtoll(n, nullptr, 10);
}

bool PgResult::IsNull(int row, int col) const {
  return PQgetisnull(r_, row, col) != 0;
}

std::string PgResult::Text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}

int64_t PgResult::Int(int row, int col) const {
  return IsNull(row, col) ? 0 : std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}

bool PgResult::Bool(int row, int col) const {
  return !IsNull(row, col) && PQgetvalue(r_, row, col)[0] == 't';
}

Bytes PgResult::Blob(int row, int col) const {
  if (IsNull(row, col)) return {};
  size_t n = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col)), &n);
  if (raw == nullptr) return {};
  Bytes out(raw, raw + n);
  PQfreemem(raw);
  return out;
}

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& url) {
  pg_conn* c = PQconnectdb(url.c_str());
  if (c == nullptr) return NetworkError("cannot connect to PostgreSQL (out of memory)");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string why = PQerrorMessage(c);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    PQfinish(c);
    return NetworkError("cannot connect to PostgreSQL: " + why);
  }
  auto conn = std::unique_ptr<PgConn>(new PgConn(c));
  // Notices (e.g. "relation already exists, skipping") are not the hub's log lines.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  return conn;
}

PgConn::~PgConn() {
  PQfinish(c_);
}

bool PgConn::broken() const {
  return PQstatus(c_) != CONNECTION_OK;
}

Result<PgResult> PgConn::Exec(const std::string& sql, const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const auto& p : params) {
    values.push_back(p.data.data());
    lengths.push_back(static_cast<int>(p.data.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  return Check(PgResult(PQexecParams(c_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                                     lengths.data(), formats.data(), 0)));
}

Status PgConn::Script(const std::string& sql) {
  return Check(PgResult(PQexec(c_, sql.c_str()))).status();
}

// A statement's result, or its error with the server's SQLSTATE kept for Transaction.
Result<PgResult> PgConn::Check(PgResult r) {
  const ExecStatusType st = PQresultStatus(r.raw());
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    last_state_.clear();
    return r;
  }
  const pg_result* raw = r.raw();
  const char* state = raw == nullptr ? nullptr : PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  last_state_ = state == nullptr ? "" : state;
  std::string why = raw == nullptr ? PQerrorMessage(c_) : PQresultErrorMessage(raw);
  while (!why.empty() && why.back() == '\n') why.pop_back();
  if (broken()) return NetworkError("PostgreSQL connection lost: " + why);
  if (Retryable(last_state_) || last_state_ == "23505") return ConflictError("PostgreSQL: " + why);
  return InternalError("PostgreSQL: " + why);
}

Status PgConn::Run(const std::string& sql, const std::vector<PgParam>& params) {
  return Exec(sql, params).status();
}

Status PgConn::Transaction(const std::function<Status()>& body, bool serializable, bool retry_unique) {
  for (int attempt = 1;; ++attempt) {
    BERTH_RETURN_IF_ERROR(Run(serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN"));
    Status st = body();
    if (st.ok()) st = Run("COMMIT");
    if (st.ok()) return st;
    const std::string state = last_state_;
    (void)Run("ROLLBACK");
    const bool again = Retryable(state) || (retry_unique && state == "23505");
    if (!again || attempt >= kMaxAttempts) return st;
  }
}

PgPool::Lease::~Lease() {
  if (c_ != nullptr && pool_ != nullptr) pool_->Give(std::move(c_));
}

Result<PgPool::Lease> PgPool::Take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
  }
  BERTH_ASSIGN_OR_RETURN(auto c, PgConn::Connect(url_));
  return Lease(this, std::move(c));
}

void PgPool::Give(std::unique_ptr<PgConn> c) {
  if (c->broken()) return;
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(c));
}

}  // namespace berth::sync::internal
