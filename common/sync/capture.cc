#include "common/sync/capture.h"

#include <fmt/format.h>

#include "common/json.h"
#include "common/log.h"

namespace tenantsync {
namespace {

// The trigger's arguments: the number of key columns, the key columns, then
// every column the sync digests, in the plan's order.
std::vector<std::string> TriggerArgs(const TablePlan& plan) {
  std::vector<std::string> args{std::to_string(plan.key.size())};
  for (size_t k : plan.key) args.push_back(plan.columns[k].name);
  for (const ColumnPlan& c : plan.columns) args.push_back(c.name);
  return args;
}

// pg_trigger.tgargs spells them each followed by a NUL byte; hex-encoded.
std::string TgargsHex(const std::vector<std::string>& args) {
  std::string hex;
  for (const std::string& a : args) {
    for (char ch : a + '\0') hex += fmt::format("{:02x}", static_cast<unsigned char>(ch));
  }
  return hex;
}

std::string JsonArray(std::vector<std::string>::const_iterator first, std::vector<std::string>::const_iterator last) {
  JsonWriter out;
  out.BeginArray();
  for (auto it = first; it != last; ++it) out.String(*it);
  out.EndArray();
  return out.str();
}


}  // namespace

bool EnsureCapture(SyncContext& ctx, const TablePlan& plan) {
  PgConn& conn = ctx.conn;
  std::string table = conn.QuoteQualified(ctx.schema, plan.name);
  std::vector<std::string> args = TriggerArgs(plan);
  // As the run began (ReadTargetCatalog): no query per table.
  const std::string& enabled = plan.target->capture_enabled;
  if (enabled == "D") {
    Log(LogLevel::kWarning, "table {}: capture trigger disabled by hand; every written row records its versions",
        table);
    return false;
  }
  if (enabled == "A" && plan.target->capture_args_hex == TgargsHex(args)) return true;
  if (ctx.dry_run) return false;
  size_t keys = plan.key.size();
  try {
    PgTxn txn(conn, ctx.txn);
    if (ctx.fence) ctx.fence(conn);
    std::string key_columns = JsonArray(args.begin() + 1, args.begin() + 1 + static_cast<long>(keys));
    PgResult first = conn.ExecOneRow(
        "SELECT sync_metadata.install_capture($1, $2, ARRAY(SELECT json_array_elements_text($3::json)),"
        " ARRAY(SELECT json_array_elements_text($4::json)))",
        {ctx.schema, plan.name, key_columns, JsonArray(args.begin() + 1 + static_cast<long>(keys), args.end())});
    // In the same transaction, under the lock the trigger's creation took:
    // no other writer can slip between the two.
    PgResult pruned = conn.ExecOneRow(
        "SELECT sync_metadata.prune_versions($1, $2, ARRAY(SELECT json_array_elements_text($3::json)))",
        {ctx.schema, plan.name, key_columns});
    txn.Commit();
    Log(LogLevel::kInfo, "table {}: capture trigger {}", table, first.Get(0, 0) == "t" ? "installed" : "updated");
    if (pruned.Get(0, 0) != "0") {
      Log(LogLevel::kInfo, "table {}: {} version rows of rows nobody else changed dropped; the trigger covers them",
          table, pruned.Get(0, 0));
    }
    return true;
  } catch (const PgError& e) {
    if (PQstatus(conn.raw()) != CONNECTION_OK) throw;  // as in RunSync: a lost connection stops the run
    Log(LogLevel::kWarning, "table {}: capture trigger not installed ({}); every written row records its versions",
        table, e.what());
    return false;
  }
}

}  // namespace tenantsync
