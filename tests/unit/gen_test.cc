// sync-gen's generator: determinism, coverage of every table, the edge-case
// rows and their SQLite storage, schema variants, journal modes, and the
// Python json.dumps format of JSON columns.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/gen/openwebui_ddl.h"
#include "common/gen/openwebui_generator.h"
#include "common/gen/prng.h"
#include "common/gen/py_json.h"
#include "common/sqlite/db.h"
#include "common/utf8.h"
#include "tests/unit/temp_dir.h"

namespace tenantsync::gen {
namespace {

GenOptions Small(const std::string& path) {
  GenOptions o;
  o.out_path = path;
  o.users = 50;
  o.chats_per_user = 6;
  return o;
}

int64_t QueryInt(SqliteDb& db, const std::string& sql) {
  SqliteStmt stmt = db.Prepare(sql);
  EXPECT_TRUE(stmt.Step()) << sql;
  return stmt.Int(0);
}

std::string QueryText(SqliteDb& db, const std::string& sql) {
  SqliteStmt stmt = db.Prepare(sql);
  EXPECT_TRUE(stmt.Step()) << sql;
  return std::string(stmt.Text(0));
}

// FNV-1a over every value (type and bytes) of SELECT * ... ORDER BY rowid, per table.
std::map<std::string, uint64_t> TableHashes(const std::string& path) {
  SqliteDb db = SqliteDb::OpenReadOnly(path, 1000);
  std::map<std::string, uint64_t> hashes;
  for (const std::string& table : OpenWebuiTables()) {
    uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&](std::string_view bytes) {
      for (char ch : bytes) h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001b3ULL;
    };
    SqliteStmt stmt = db.Prepare("SELECT * FROM \"" + table + "\" ORDER BY rowid");
    while (stmt.Step()) {
      for (int col = 0; col < stmt.columns(); ++col) {
        mix(std::to_string(stmt.Type(col)));
        mix(stmt.Type(col) == SQLITE_NULL ? "" : stmt.Text(col));
        mix("|");
      }
    }
    hashes[table] = h;
  }
  return hashes;
}

std::multiset<std::string> Lines(const std::string& text) {
  std::multiset<std::string> lines;
  std::string::size_type start = 0;
  for (auto end = text.find('\n'); end != std::string::npos; start = end + 1, end = text.find('\n', start)) {
    lines.insert(text.substr(start, end - start));
  }
  return lines;
}

TEST(GenPrngTest, IsSplitMix64) {
  Prng rng(0);
  EXPECT_EQ(rng.Next(), 0xe220a8397b1dcdafULL);  // the reference first output for seed 0
  Prng a(7);
  std::string uuid = a.Uuid();
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos);
}

TEST(GenPyJsonTest, MatchesPythonJsonDumps) {
  // Python: json.dumps("é😀\"\\\n\x01\x7f\t/") and the same with ensure_ascii=False.
  std::string text = "\xc3\xa9\xf0\x9f\x98\x80\"\\\n\x01\x7f\t/";
  EXPECT_EQ(JsonEscaped(text), R"(\u00e9\ud83d\ude00\"\\\n\u0001\u007f\t/)");
  EXPECT_EQ(JsonEscaped(text, false), "\xc3\xa9\xf0\x9f\x98\x80\\\"\\\\\\n\\u0001\x7f\\t/");
  EXPECT_EQ(JsonEscaped(std::string_view("a\0b", 3)), "a\\u0000b");
  std::string out;
  PyJson j(out);
  j.BeginObject().Key("a").BeginArray().Int(1).Null().Bool(true).BeginObject().EndObject().EndArray();
  j.Key("b").Str("x").EndObject();
  EXPECT_EQ(out, R"({"a": [1, null, true, {}], "b": "x"})");
}

TEST(GenTest, SameArgumentsGiveIdenticalRows) {
  ScopedTempDir dir;
  GenerateOpenWebuiDb(Small(dir.File("a.db")));
  GenerateOpenWebuiDb(Small(dir.File("b.db")));
  std::map<std::string, uint64_t> a = TableHashes(dir.File("a.db"));
  EXPECT_EQ(a, TableHashes(dir.File("b.db")));

  GenOptions other = Small(dir.File("c.db"));
  other.seed = 2;
  GenerateOpenWebuiDb(other);
  EXPECT_NE(a.at("chat"), TableHashes(dir.File("c.db")).at("chat"));
}

TEST(GenTest, EveryTableExistsIsFilledAndCountsMatchTheStats) {
  ScopedTempDir dir;
  GenOptions o = Small(dir.File("w.db"));
  GenStats stats = GenerateOpenWebuiDb(o);
  SqliteDb db = SqliteDb::OpenReadOnly(o.out_path, 1000);
  std::vector<std::string> tables = OpenWebuiTables();
  EXPECT_EQ(tables.size(), 31u);
  ASSERT_EQ(stats.rows.size(), tables.size());
  for (size_t i = 0; i < tables.size(); ++i) {
    const std::string& t = tables[i];
    EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '" + t + "'"), 1) << t;
    int64_t rows = QueryInt(db, "SELECT count(*) FROM \"" + t + "\"");
    EXPECT_GT(rows, 0) << t;
    EXPECT_EQ(stats.rows[i], std::make_pair(t, rows));
  }
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM config"), 1);
  EXPECT_EQ(QueryText(db, "SELECT version_num FROM alembic_version"), "c440947495f3");
  // users × chats_per_user own chats, plus 3 edge-case chats; shared snapshots on top.
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM chat WHERE user_id NOT LIKE 'shared-%'"), 50 * 6 + 3);
  EXPECT_GT(QueryInt(db,
                     "SELECT count(*) FROM chat WHERE user_id = 'shared-' || "
                     "(SELECT c.id FROM chat c WHERE c.share_id = chat.id)"),
            0);
}

TEST(GenTest, StoresValuesAsOpenWebuiDoes) {
  ScopedTempDir dir;
  GenOptions o = Small(dir.File("v.db"));
  GenerateOpenWebuiDb(o);
  SqliteDb db = SqliteDb::OpenReadOnly(o.out_path, 1000);
  // Integers in chat's DATETIME columns; 0/1 booleans; both `null` text and SQL NULL.
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM chat WHERE typeof(created_at) <> 'integer'"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM chat WHERE archived NOT IN (0, 1)"), 0);
  EXPECT_GT(QueryInt(db, "SELECT count(*) FROM \"user\" WHERE settings = 'null'"), 0);
  EXPECT_GT(QueryInt(db, "SELECT count(*) FROM \"user\" WHERE settings IS NULL"), 0);
  EXPECT_GT(QueryInt(db, "SELECT count(*) FROM chat WHERE pinned IS NULL"), 0);
  // Seconds vs nanoseconds.
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM chat WHERE created_at NOT BETWEEN 1.6e9 AND 1.8e9"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM message WHERE created_at NOT BETWEEN 1.6e18 AND 1.8e18"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM note WHERE created_at NOT BETWEEN 1.6e18 AND 1.8e18"), 0);
  EXPECT_EQ(QueryText(db, "SELECT created_at FROM config"), "2025-09-28 03:37:37");
  EXPECT_EQ(QueryText(db, "SELECT migrated_at FROM migratehistory WHERE id = 1"), "2024-05-30 09:12:00.100000");
  // ASCII-only JSON with Python's separators, except the raw UTF-8 edge case.
  SqliteStmt chats = db.Prepare("SELECT title, chat FROM chat");
  int non_ascii = 0;
  while (chats.Step()) {
    std::string_view chat = chats.Text(1);
    EXPECT_TRUE(chat.starts_with("{\"id\": \"\", \"title\": \"")) << chat.substr(0, 40);
    for (char ch : chat) {
      if (static_cast<unsigned char>(ch) >= 0x80) {
        ++non_ascii;
        EXPECT_EQ(chats.Text(0), "Raw UTF-8 JSON 生の");
        break;
      }
    }
  }
  EXPECT_EQ(non_ascii, 1);
}

TEST(GenTest, ChatDocumentsAverageChatBytes) {
  ScopedTempDir dir;
  for (int64_t bytes : {2000, 8000}) {
    GenOptions o = Small(dir.File("s.db"));
    o.chat_bytes = bytes;
    o.edge_cases = false;
    GenerateOpenWebuiDb(o);
    SqliteDb db = SqliteDb::OpenReadOnly(o.out_path, 1000);
    int64_t avg = QueryInt(db, "SELECT avg(length(chat)) FROM chat");
    EXPECT_GT(avg, bytes * 9 / 10) << bytes;
    EXPECT_LT(avg, bytes * 11 / 10) << bytes;
  }
}

TEST(GenTest, EdgeCaseRowsHaveTheExpectedStorage) {
  ScopedTempDir dir;
  GenOptions o = Small(dir.File("e.db"));
  GenerateOpenWebuiDb(o);
  SqliteDb db = SqliteDb::OpenReadOnly(o.out_path, 1000);
  EXPECT_EQ(QueryText(db, "SELECT typeof(meta) FROM tag WHERE id = 'edge_numeric_meta'"), "integer");
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM tag WHERE length(name) > 255"), 1);
  // length() stops at the NUL; the bytes go on.
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM message WHERE instr(CAST(content AS BLOB), x'00') > 0"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT length(content) FROM message WHERE instr(CAST(content AS BLOB), x'00') > 0"), 3);
  EXPECT_EQ(QueryInt(db,
                     "SELECT length(CAST(content AS BLOB)) FROM message "
                     "WHERE instr(CAST(content AS BLOB), x'00') > 0"),
            16);
  int invalid = 0;
  SqliteStmt memories = db.Prepare("SELECT content FROM memory");
  while (memories.Step()) invalid += IsValidUtf8(memories.Text(0)) ? 0 : 1;
  EXPECT_EQ(invalid, 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM chat WHERE instr(chat, '\\u0000') > 0"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM chat WHERE length(chat) BETWEEN 250000 AND 270000"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM chat_file WHERE chat_id NOT IN (SELECT id FROM chat)"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM oauth_session WHERE user_id NOT IN (SELECT id FROM \"user\")"), 1);
  EXPECT_EQ(QueryText(db, "SELECT updated_at FROM config"), "2025-09-29 11:02:45");
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM chatidtag"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM document"), 1);
}

TEST(GenTest, NoEdgeCasesLeavesThemOut) {
  ScopedTempDir dir;
  GenOptions o = Small(dir.File("n.db"));
  o.edge_cases = false;
  GenerateOpenWebuiDb(o);
  SqliteDb db = SqliteDb::OpenReadOnly(o.out_path, 1000);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM tag WHERE typeof(meta) NOT IN ('text', 'null')"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM message WHERE instr(CAST(content AS BLOB), x'00') > 0"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM chat_file WHERE chat_id NOT IN (SELECT id FROM chat)"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM chatidtag") + QueryInt(db, "SELECT count(*) FROM document"), 0);
  EXPECT_EQ(QueryText(db, "SELECT updated_at FROM config"), "2025-09-29 11:02:45.318207");
}

TEST(GenTest, UpgradedSchemaHasNoPrimaryKeyOnUser) {
  ScopedTempDir dir;
  for (WebuiSchema schema : {WebuiSchema::kV0643, WebuiSchema::kV0632Upgraded}) {
    GenOptions o = Small(dir.File("u.db"));
    o.users = 3;
    o.schema = schema;
    GenerateOpenWebuiDb(o);
    SqliteDb db = SqliteDb::OpenReadOnly(o.out_path, 1000);
    bool upgraded = schema == WebuiSchema::kV0632Upgraded;
    EXPECT_EQ(QueryInt(db, "SELECT max(pk) FROM pragma_table_info('user')"), upgraded ? 0 : 1);
    // SQLite folds UNIQUE (id) into the primary key's index.
    EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM pragma_index_list('user') WHERE origin <> 'c'"), upgraded ? 0 : 1);
    EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'user' AND sql LIKE '%uq_user_id%'"),
              upgraded ? 0 : 1);
    EXPECT_EQ(QueryInt(db, "SELECT \"unique\" FROM pragma_index_list('user') WHERE name = 'user_id'"), 1);
    EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM \"user\""), 3);
  }
}

TEST(GenTest, JournalModeIsAsRequested) {
  ScopedTempDir dir;
  for (JournalMode mode : {JournalMode::kWal, JournalMode::kDelete}) {
    GenOptions o = Small(dir.File("j.db"));
    o.users = 3;
    o.journal_mode = mode;
    GenerateOpenWebuiDb(o);
    // Bytes 18 and 19 of the header: 2 for WAL, 1 for rollback journals.
    std::string header = ReadFileBytes(o.out_path).substr(0, 20);
    EXPECT_EQ(header[18], mode == JournalMode::kWal ? 2 : 1);
    EXPECT_FALSE(std::filesystem::exists(o.out_path + "-wal"));
    SqliteDb db = SqliteDb::OpenReadWrite(o.out_path);
    EXPECT_EQ(QueryText(db, "PRAGMA journal_mode"), mode == JournalMode::kWal ? "wal" : "delete");
  }
  EXPECT_THROW(ParseJournalMode("off"), UsageError);
}

TEST(GenDdlTest, PostgresDdlCreatesEveryTableOfTheSqliteDdl) {
  for (WebuiSchema schema : {WebuiSchema::kV0643, WebuiSchema::kV0632Upgraded}) {
    std::string pg = OpenWebuiDdl(SqlDialect::kPostgres, schema);
    for (const std::string& table : OpenWebuiTables()) {
      bool quoted = pg.find("\nCREATE TABLE \"" + table + "\" (") != std::string::npos;
      bool plain = pg.find("\nCREATE TABLE " + table + " (") != std::string::npos;
      EXPECT_TRUE(quoted || plain) << table;
    }
    EXPECT_NE(pg.find("CREATE UNIQUE INDEX user_id ON \"user\" (id);"), std::string::npos);
  }
  std::string fresh = OpenWebuiDdl(SqlDialect::kPostgres, WebuiSchema::kV0643);
  EXPECT_NE(fresh.find("CONSTRAINT pk_user_id PRIMARY KEY (id)"), std::string::npos);
  for (SqlDialect dialect : {SqlDialect::kSqlite, SqlDialect::kPostgres}) {
    std::string upgraded = OpenWebuiDdl(dialect, WebuiSchema::kV0632Upgraded);
    std::string::size_type at = 0;
    while ((at = upgraded.find("CONSTRAINT ", at)) != std::string::npos) {
      std::string_view rest = std::string_view(upgraded).substr(at + 11);
      EXPECT_FALSE(rest.starts_with("pk_user_id") || rest.starts_with("uq_user_id"));
      ++at;
    }
    // Only the "user" constraints differ: 3 lines go (the last column's comma
    // and the two constraints), 3 come (the column without comma, 2 comment lines).
    std::multiset<std::string> removed = Lines(OpenWebuiDdl(dialect, WebuiSchema::kV0643));
    std::multiset<std::string> added = Lines(upgraded);
    for (auto it = added.begin(); it != added.end();) {
      auto match = removed.find(*it);
      if (match == removed.end()) {
        ++it;
        continue;
      }
      removed.erase(match);
      it = added.erase(it);
    }
    EXPECT_EQ(removed.size(), 3u);
    EXPECT_EQ(added.size(), 3u);
    for (const std::string& line : removed) {
      bool constraint = line.find("pk_user_id") != std::string::npos || line.find("uq_user_id") != std::string::npos;
      bool comma_dropped = line.ends_with(",") && added.count(line.substr(0, line.size() - 1)) == 1;
      EXPECT_TRUE(constraint || comma_dropped) << line;
    }
  }
  EXPECT_THROW(ParseWebuiSchema("0.6.40"), UsageError);
  EXPECT_THROW(ParseSqlDialect("mysql"), UsageError);
}

}  // namespace
}  // namespace tenantsync::gen
