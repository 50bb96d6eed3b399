// Numbered migrations, embedded at build time from schema/migrations/NNNN_name.sql.
#pragma once

#include <string>
#include <vector>

namespace berth {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// In ascending version order, with no gaps (a test checks it).
const std::vector<Migration>& Migrations();

}  // namespace berth
