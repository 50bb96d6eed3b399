// Status and its codes (status.h): the one error type of every layer.

#include "berth/schema/status.h"

namespace berth {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kUsage:
      return "usage";
    case Code::kBadInput:
      return "bad input";
    case Code::kNotFound:
      return "not found";
    case Code::kConflict:
      return "conflict";
    case Code::kWrongPassphrase:
      return "wrong passphrase";
    case Code::kNotAuthorised:
      return "not authorised";
    case Code::kIntegrity:
      return "integrity";
    case Code::kNetwork:
      return "network";
    case Code::kIo:
      return "i/o";
    case Code::kInternal:
      return "internal";
  }
  return "unknown";
}

int ExitCode(Code code) {
  switch (code) {
    case Code::kOk:
      return 0;
    case Code::kUsage:
      return 1;
    case Code::kBadInput:
    case Code::kNotFound:
    case Code::kConflict:
      return 2;
    case Code::kWrongPassphrase:
    case Code::kNotAuthorised:
      return 3;
    case Code::kIntegrity:
      return 4;
    case Code::kNetwork:
      return 5;
    case Code::kIo:
    case Code::kInternal:
      return 6;
  }
  return 6;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::Context(std::string_view what) const {
  if (ok()) return *this;
  return Status(code_, std::string(what) + ": " + message_);
}

}  // namespace berth
