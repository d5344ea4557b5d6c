#pragma once
// sync-gen: write a synthetic Open WebUI webui.db, or print its DDL.
// The generator itself is common/gen/openwebui_generator.h.

#include <string>

#include "common/exit_code.h"
#include "common/gen/openwebui_generator.h"

namespace tenantsync {

struct GenCommandOptions {
  gen::GenOptions gen;                  // out_path, sizes, seed, chat_bytes
  std::string schema = "0.6.43";        // or "0.6.32-upgraded"
  std::string journal_mode = "delete";  // or "wal"
  bool no_edge_cases = false;
  std::string print_ddl;  // "sqlite" / "postgres": print the DDL instead
  bool json = false;      // row counts as a JSON object on stdout
};

// Prints the DDL, or generates gen.out_path and logs a one-line summary
// (rows per table, bytes, seconds) on stderr. Throws UsageError for bad
// values, SqliteError/IoError when the file cannot be written.
ExitCode RunGen(const GenCommandOptions& options);

}  // namespace tenantsync
