#pragma once
// The sql/NNN_name.sql migrations, embedded at build time (cmake/EmbedSql.cmake).

#include <string_view>
#include <vector>

namespace tenantsync {

struct Migration {
  int version;            // NNN
  std::string_view name;  // "001_metadata.sql"
  std::string_view sql;   // the file's text; its SHA-256 is the checksum
};

// In ascending version order, versions unique.
const std::vector<Migration>& EmbeddedMigrations();

}  // namespace tenantsync
