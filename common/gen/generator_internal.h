#pragma once
// Shared state of one GenerateOpenWebuiDb() run, split over gen_*.cc files.
// Internal to common/gen/. The order of the Generate* calls, and of the PRNG
// draws inside them, is part of the output: changing it changes every row.

#include <optional>
#include <string>
#include <vector>

#include "common/gen/chat_blob.h"
#include "common/gen/openwebui_generator.h"
#include "common/gen/prng.h"
#include "common/gen/table_inserter.h"
#include "common/sqlite/db.h"

namespace tenantsync::gen {

// The generated history spans 2024-10-01 .. 2025-09-30 (UTC).
inline constexpr int64_t kT0 = 1727740800;
inline constexpr int64_t kT1 = 1759190400;
inline constexpr int64_t kNs = 1'000'000'000;

// One inserter per table, in DDL order.
struct Tables {
  explicit Tables(SqliteDb& db);
  std::vector<TableInserter*> All();

  TableInserter migratehistory, alembic_version, user, auth, api_key, oauth_session, group, group_member, chat,
      chatidtag, tag, folder, file, chat_file, knowledge, knowledge_file, document, memory, model, prompt, tool,
      function, feedback, note, config, channel, channel_member, message, message_reaction, channel_webhook,
      channel_file;
};

struct UserInfo {
  std::string id;
  int64_t created = 0;
  std::vector<std::string> tag_ids;
  std::vector<std::string> folder_ids;
  std::vector<std::string> file_ids;
};

struct GenContext {
  GenContext(const GenOptions& o, SqliteDb& d) : options(o), db(d), rng(o.seed), tables(d) {}

  const GenOptions& options;
  SqliteDb& db;
  Prng rng;
  Tables tables;
  std::vector<UserInfo> users;  // users[0] is the admin
  std::vector<std::string> group_ids;
  std::vector<std::string> channel_ids;
  ChatBlobBuilder blobs;
  std::string blob;  // reused buffer for chat documents

  int64_t Time() { return rng.Range(kT0, kT1); }
  int64_t TimeNs() {
    int64_t seconds = Time();  // two statements: the order of the draws is fixed
    return seconds * kNs + rng.Range(0, kNs - 1);
  }
  const std::string& admin() const { return users.front().id; }
};

// Each writes its tables' rows.
void GenerateBookkeeping(GenContext& c);  // migratehistory, alembic_version, config
void GenerateUsers(GenContext& c);        // user, auth, api_key, oauth_session, group, group_member
void GenerateChats(GenContext& c);        // tag, folder, file, chat, chat_file, feedback
void GenerateWorkspace(GenContext& c);    // knowledge(+_file), model, prompt, tool, function, memory, note
void GenerateChannels(
    GenContext& c);  // channel, channel_member, message, message_reaction, channel_webhook, channel_file
void GenerateEdgeCases(GenContext& c);

// One row of `chat`, its columns in DDL order; InsertChat() writes it.
struct ChatRow {
  std::string id;
  std::string user_id;
  std::string_view title;
  std::optional<std::string> share_id;
  int64_t archived = 0;
  int64_t created = 0;
  int64_t updated = 0;
  std::string_view chat;  // the JSON document
  std::optional<int64_t> pinned;
  std::string meta = "{}";
  std::optional<std::string> folder_id;
};
void InsertChat(GenContext& c, const ChatRow& row);

// A JSON column value chosen the way ORM rows look: SQL NULL (per_mille_null),
// else the text `null` (per_mille_text_null), else `json`.
std::optional<std::string> NullOr(GenContext& c, int per_mille_null, int per_mille_text_null, std::string json);

}  // namespace tenantsync::gen
