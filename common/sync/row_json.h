#pragma once
// A SQLite row (or its key) as JSON for sync_metadata.quarantine, so that an
// operator sees the raw image exactly. jsonb cannot hold NUL or invalid
// UTF-8, so such text and every blob become {"$b64": "<base64>"}.

#include <string>

#include "common/sqlite/db.h"

namespace tenantsync {

// Appends the current value of column `col` of `stmt` as one JSON value.
void AppendSqliteValueJson(const SqliteStmt& stmt, int col, std::string& out);

std::string Base64(std::string_view bytes);

}  // namespace tenantsync
