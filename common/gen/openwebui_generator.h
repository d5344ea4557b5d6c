#pragma once
// Writes a deterministic, realistic Open WebUI webui.db (SQLite) of any size,
// for tests and benchmarks of the replicator. Same options → the same rows,
// byte for byte (own PRNG, no clocks, no hash-order iteration).
//
// What the data imitates (Open WebUI's own tables and values):
//   * JSON columns hold Python json.dumps() text: ASCII only (\uXXXX, emoji
//     as surrogate pairs), ", " and ": " separators. Both the 4-character text
//     `null` (ORM None) and SQL NULL (columns added by migrations) occur.
//   * Booleans are 0/1 integers. Epoch seconds everywhere except channel,
//     channel_member, channel_webhook, message, message_reaction and note
//     (nanoseconds). chat.created_at/updated_at are integers in DATETIME
//     columns. config.created_at is 'YYYY-MM-DD HH:MM:SS', updated_at has six
//     fractional digits; migratehistory.migrated_at has microseconds.
//   * Shared chats are snapshot rows with user_id 'shared-<chat id>'. Chat
//     JSON documents average --chat-bytes (uniform 0.75×–1.25×) and hold the
//     history tree plus the message list; titles mix emoji, CJK, RTL, quotes, tabs.
//   * Row counts scale with --users (and chat tables with --chats-per-user):
//     per user 0-4 tags, 0-3 folders, 0-4 files, 0-3 memories; ~15% api keys,
//     ~30% OAuth sessions and notes; 5% shared chats, 15% chat_file links, 5%
//     feedback; users/25 groups, users/5 knowledge bases, users/10 models,
//     prompts, tools and channels (30-70 messages each), users/20 functions.
//
// Edge cases (unless edge_cases=false), each a handful of rows:
//   1. chat.chat with a \u0000 escape (valid json; jsonb and ->> reject it);
//   2. a ~256 KB chat.chat document;
//   3. a chat.chat written with ensure_ascii=False (raw UTF-8 JSON);
//   4. FK orphans: a chat_file whose chat does not exist, an oauth_session
//      whose user does not exist;
//   5. tag.meta = '42', a bare JSON number: NUMERIC affinity stores an INTEGER;
//   6. a tag whose id and name are longer than VARCHAR(255);
//   7. message.content holding a raw NUL byte (length() stops at it);
//   8. memory.content holding invalid UTF-8 (a Latin-1 byte);
//   9. config.updated_at without fractional seconds (as CURRENT_TIMESTAMP
//      writes it; there is still one config row);
//  10. one legacy chatidtag row and one legacy document row.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/gen/openwebui_ddl.h"

namespace tenantsync::gen {

enum class JournalMode { kDelete, kWal };

struct GenOptions {
  std::string out_path;
  int64_t users = 100;          // >= 1
  int64_t chats_per_user = 20;  // >= 0
  uint64_t seed = 1;
  WebuiSchema schema = WebuiSchema::kV0643;
  JournalMode journal_mode = JournalMode::kDelete;  // Open WebUI's default
  bool edge_cases = true;
  int64_t chat_bytes = 2000;  // mean size of chat.chat, >= 0
};

struct GenStats {
  std::vector<std::pair<std::string, int64_t>> rows;  // per table, in DDL order
  int64_t total_rows = 0;
};

// Replaces out_path (and its -wal/-shm/-journal files) with a new database.
// Writes in one transaction with journal_mode=OFF and synchronous=OFF, then
// switches to the requested journal mode. Throws SqliteError/UsageError/IoError.
GenStats GenerateOpenWebuiDb(const GenOptions& options);

JournalMode ParseJournalMode(std::string_view text);  // "delete" / "wal"; UsageError otherwise

}  // namespace tenantsync::gen
