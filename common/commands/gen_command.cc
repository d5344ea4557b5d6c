#include "common/commands/gen_command.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "common/gen/openwebui_ddl.h"
#include "common/json.h"
#include "common/log.h"

namespace tenantsync {
namespace {

void WriteStdout(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    throw IoError("cannot write to stdout");
  }
}

}  // namespace

ExitCode RunGen(const GenCommandOptions& options) {
  gen::WebuiSchema schema = gen::ParseWebuiSchema(options.schema);
  if (!options.print_ddl.empty()) {
    if (!options.gen.out_path.empty()) throw UsageError("--print-ddl takes no OUT.db");
    WriteStdout(gen::OpenWebuiDdl(gen::ParseSqlDialect(options.print_ddl), schema));
    return ExitCode::kOk;
  }
  if (options.gen.out_path.empty()) throw UsageError("OUT.db is required", "or pass --print-ddl sqlite|postgres");
  gen::GenOptions o = options.gen;
  o.schema = schema;
  o.journal_mode = gen::ParseJournalMode(options.journal_mode);
  o.edge_cases = !options.no_edge_cases;

  auto start = std::chrono::steady_clock::now();
  gen::GenStats stats = gen::GenerateOpenWebuiDb(o);
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::error_code ec;
  auto bytes = std::filesystem::file_size(o.out_path, ec);

  std::string per_table;
  JsonWriter w;
  w.BeginObject();
  for (const auto& [table, rows] : stats.rows) {
    per_table += fmt::format(" {}={}", table, rows);
    w.Key(table).Int(rows);
  }
  w.EndObject();
  Log(LogLevel::kInfo, "wrote {} rows={} bytes={} seconds={:.1f} schema={} journal_mode={} rows:{}", o.out_path,
      stats.total_rows, ec ? 0 : bytes, elapsed.count(), options.schema, options.journal_mode, per_table);
  if (options.json) WriteStdout(w.str() + "\n");
  return ExitCode::kOk;
}

}  // namespace tenantsync
