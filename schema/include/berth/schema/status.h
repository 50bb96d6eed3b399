// The one error type of Berth: Status (success or a code and a message) and Result<T> (a value or a
// Status). SQLite return codes, libsodium's -1 and cereal exceptions are converted where they enter our
// code; nothing else crosses module boundaries as an error.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace berth {

// The single list of error codes. The CLI maps each to an exit code (see ExitCode()).
enum class Code {
  kOk = 0,
  kUsage,            // the caller asked for something malformed (bad flags, missing arguments)
  kBadInput,         // a file, CSV row, JSON document or wire message is malformed; nothing was changed
  kNotFound,         // the named record, store or file does not exist
  kConflict,         // the request is well formed but the state forbids it (illegal transition, taken bed)
  kWrongPassphrase,  // the passphrase or recovery key does not open the store
  kNotAuthorised,    // the device or user may not do this (revoked, out of scope, locked)
  kIntegrity,        // authentication tag failure, hash-chain break, tampered or foreign file
  kNetwork,          // the hub is unreachable or the connection broke
  kIo,               // the operating system refused a read, write or sync
  kInternal,         // a bug or an unexpected library failure
};

std::string_view CodeName(Code code);

// CLI exit codes from the design: 0 ok, 1 usage, 2 bad input, 3 wrong passphrase / not authorised,
// 4 integrity or tamper failure, 5 network / hub unavailable. I/O and internal errors exit 6 (the design
// has no code for them; folding them into 2 would tell the user their input was wrong when it was not).
int ExitCode(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "integrity: page 7 of berth.db failed authentication"
  std::string ToString() const;

  // Adds context in front of the message, keeping the code: "opening store: <message>".
  Status Context(std::string_view what) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status UsageError(std::string m) {
  return {Code::kUsage, std::move(m)};
}
inline Status BadInput(std::string m) {
  return {Code::kBadInput, std::move(m)};
}
inline Status NotFound(std::string m) {
  return {Code::kNotFound, std::move(m)};
}
inline Status ConflictError(std::string m) {
  return {Code::kConflict, std::move(m)};
}
inline Status WrongPassphrase(std::string m) {
  return {Code::kWrongPassphrase, std::move(m)};
}
inline Status NotAuthorised(std::string m) {
  return {Code::kNotAuthorised, std::move(m)};
}
inline Status IntegrityError(std::string m) {
  return {Code::kIntegrity, std::move(m)};
}
inline Status NetworkError(std::string m) {
  return {Code::kNetwork, std::move(m)};
}
inline Status IoError(std::string m) {
  return {Code::kIo, std::move(m)};
}
inline Status InternalError(std::string m) {
  return {Code::kInternal, std::move(m)};
}

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design, like std::expected
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "a Result built from a Status must carry an error");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace berth

#define BERTH_CONCAT_INNER(a, b) a##b
#define BERTH_CONCAT(a, b) BERTH_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` (a Status) is not ok.
#define BERTH_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::berth::Status berth_status_ = (expr);        \
    if (!berth_status_.ok()) return berth_status_; \
  } while (0)

// `BERTH_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or returns its Status.
#define BERTH_ASSIGN_OR_RETURN(lhs, expr) \
  BERTH_ASSIGN_OR_RETURN_IMPL(BERTH_CONCAT(berth_result_, __LINE__), lhs, expr)
#define BERTH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
