// sync-gen: write a deterministic, realistic Open WebUI webui.db of any size
// (for tests and benchmarks), or print the Open WebUI DDL. The work is in
// common/commands/gen_command.cc and common/gen/.
#include "common/commands/gen_command.h"
#include "common/tool.h"

int main(int argc, char** argv) {
  CLI::App app{"Write a synthetic Open WebUI webui.db (SQLite), or print Open WebUI's DDL", "sync-gen"};
  app.footer(R"(Examples:
  sync-gen /tmp/webui.db                                  # 100 users, 20 chats each
  sync-gen big.db --users 5000 --chats-per-user 200 --journal-mode wal --json
  sync-gen old.db --schema 0.6.32-upgraded --no-edge-cases
  sync-gen --print-ddl postgres > openwebui.sql

Same arguments, same rows. OUT.db and its -wal/-shm/-journal files are replaced.
Edge cases (default on) add a few rows PostgreSQL refuses or must convert.)");
  tenantsync::CommonFlags flags;
  tenantsync::AddCommonFlags(app, flags);
  tenantsync::GenCommandOptions o;
  app.add_option("OUT.db", o.gen.out_path, "Database file to write (replaced)");
  app.add_option("--users", o.gen.users, "Users")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--chats-per-user", o.gen.chats_per_user, "Chats per user")
      ->check(CLI::Range(int64_t{0}, int64_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--seed", o.gen.seed, "PRNG seed")->capture_default_str();
  app.add_option("--schema", o.schema, "Schema variant")
      ->check(CLI::IsMember({"0.6.43", "0.6.32-upgraded"}))
      ->capture_default_str();
  app.add_option("--journal-mode", o.journal_mode, "Journal mode of the result")
      ->check(CLI::IsMember({"delete", "wal"}))
      ->capture_default_str();
  app.add_flag("--no-edge-cases", o.no_edge_cases, "Leave out the deliberate edge-case rows");
  app.add_option("--chat-bytes", o.gen.chat_bytes, "Mean size of a chat's JSON document")
      ->check(CLI::Range(int64_t{0}, int64_t{64 * 1024 * 1024}))
      ->capture_default_str();
  app.add_flag("--json", o.json, "Print row counts per table as a JSON object on stdout");
  app.add_option("--print-ddl", o.print_ddl, "Print the DDL (sqlite or postgres) and exit")
      ->check(CLI::IsMember({"sqlite", "postgres"}));
  return tenantsync::RunTool(app, argc, argv, flags, [&](const tenantsync::Config&) { return tenantsync::RunGen(o); });
}
