// The per-table INSERT statements, shared row helpers, and the bookkeeping
// tables (migratehistory, alembic_version, config).
#include <fmt/format.h>

#include <array>

#include "common/gen/generator_internal.h"
#include "common/gen/py_json.h"
#include "common/gen/vocab.h"

namespace tenantsync::gen {

Tables::Tables(SqliteDb& db)
    : migratehistory(db, "migratehistory", {"id", "name", "migrated_at"}),
      alembic_version(db, "alembic_version", {"version_num"}),
      user(db, "user",
           {"id",
            "name",
            "email",
            "role",
            "profile_image_url",
            "created_at",
            "updated_at",
            "last_active_at",
            "username",
            "bio",
            "gender",
            "date_of_birth",
            "profile_banner_image_url",
            "timezone",
            "presence_state",
            "status_emoji",
            "status_message",
            "status_expires_at",
            "oauth",
            "info",
            "settings"}),
      auth(db, "auth", {"id", "email", "password", "active"}),
      api_key(db, "api_key",
              {"id", "user_id", "key", "data", "expires_at", "last_used_at", "created_at", "updated_at"}),
      oauth_session(db, "oauth_session",
                    {"id", "user_id", "provider", "token", "expires_at", "created_at", "updated_at"}),
      group(db, "group",
            {"id", "user_id", "name", "description", "data", "meta", "permissions", "created_at", "updated_at"}),
      group_member(db, "group_member", {"id", "group_id", "user_id", "created_at", "updated_at"}),
      chat(db, "chat",
           {"id", "user_id", "title", "share_id", "archived", "created_at", "updated_at", "chat", "pinned", "meta",
            "folder_id"}),
      chatidtag(db, "chatidtag", {"id", "tag_name", "chat_id", "user_id", "timestamp"}),
      tag(db, "tag", {"id", "name", "user_id", "meta"}),
      folder(
          db, "folder",
          {"id", "parent_id", "user_id", "name", "items", "meta", "is_expanded", "created_at", "updated_at", "data"}),
      file(db, "file",
           {"id", "user_id", "filename", "meta", "created_at", "hash", "data", "updated_at", "path", "access_control"}),
      chat_file(db, "chat_file", {"id", "user_id", "chat_id", "file_id", "message_id", "created_at", "updated_at"}),
      knowledge(db, "knowledge",
                {"id", "user_id", "name", "description", "meta", "created_at", "updated_at", "access_control", "data"}),
      knowledge_file(db, "knowledge_file", {"id", "user_id", "knowledge_id", "file_id", "created_at", "updated_at"}),
      document(db, "document", {"collection_name", "name", "title", "filename", "content", "user_id", "timestamp"}),
      memory(db, "memory", {"id", "user_id", "content", "updated_at", "created_at"}),
      model(db, "model",
            {"id", "user_id", "base_model_id", "name", "meta", "params", "created_at", "updated_at", "access_control",
             "is_active"}),
      prompt(db, "prompt", {"command", "user_id", "title", "content", "timestamp", "access_control"}),
      tool(db, "tool",
           {"id", "user_id", "name", "content", "specs", "meta", "created_at", "updated_at", "valves",
            "access_control"}),
      function(db, "function",
               {"id", "user_id", "name", "type", "content", "meta", "created_at", "updated_at", "valves", "is_active",
                "is_global"}),
      feedback(db, "feedback",
               {"id", "user_id", "version", "type", "data", "meta", "snapshot", "created_at", "updated_at"}),
      note(db, "note", {"id", "user_id", "title", "data", "meta", "access_control", "created_at", "updated_at"}),
      config(db, "config", {"id", "data", "version", "created_at", "updated_at"}),
      channel(db, "channel",
              {"id", "user_id", "name", "description", "data", "meta", "access_control", "created_at", "updated_at",
               "type", "is_private", "archived_at", "archived_by", "deleted_at", "deleted_by", "updated_by"}),
      channel_member(
          db, "channel_member",
          {"id", "channel_id", "user_id", "created_at", "status", "is_active", "is_channel_muted", "is_channel_pinned",
           "data", "meta", "joined_at", "left_at", "last_read_at", "updated_at", "role", "invited_by", "invited_at"}),
      message(db, "message",
              {"id", "user_id", "channel_id", "content", "data", "meta", "created_at", "updated_at", "parent_id",
               "reply_to_id", "is_pinned", "pinned_at", "pinned_by"}),
      message_reaction(db, "message_reaction", {"id", "user_id", "message_id", "name", "created_at"}),
      channel_webhook(db, "channel_webhook",
                      {"id", "user_id", "channel_id", "name", "profile_image_url", "token", "last_used_at",
                       "created_at", "updated_at"}),
      channel_file(db, "channel_file",
                   {"id", "user_id", "channel_id", "file_id", "created_at", "updated_at", "message_id"}) {}

std::vector<TableInserter*> Tables::All() {
  return {&migratehistory,
          &alembic_version,
          &user,
          &auth,
          &api_key,
          &oauth_session,
          &group,
          &group_member,
          &chat,
          &chatidtag,
          &tag,
          &folder,
          &file,
          &chat_file,
          &knowledge,
          &knowledge_file,
          &document,
          &memory,
          &model,
          &prompt,
          &tool,
          &function,
          &feedback,
          &note,
          &config,
          &channel,
          &channel_member,
          &message,
          &message_reaction,
          &channel_webhook,
          &channel_file};
}

void InsertChat(GenContext& c, const ChatRow& r) {
  c.tables.chat.Text(r.id).Text(r.user_id).Text(r.title).OptText(r.share_id).Int(r.archived).Int(r.created);
  c.tables.chat.Int(r.updated).Text(r.chat).OptInt(r.pinned).Text(r.meta).OptText(r.folder_id).End();
}

std::optional<std::string> NullOr(GenContext& c, int per_mille_null, int per_mille_text_null, std::string json) {
  int64_t roll = c.rng.Range(0, 999);
  if (roll < per_mille_null) return std::nullopt;
  if (roll < per_mille_null + per_mille_text_null) return std::string("null");
  return json;
}

namespace {

constexpr std::array<std::string_view, 18> kPeeweeMigrations = {"001_initial_schema",
                                                                "002_add_local_sharing",
                                                                "003_add_auth_api_key",
                                                                "004_add_archived",
                                                                "005_add_updated_at",
                                                                "006_migrate_timestamps_and_charfields",
                                                                "007_add_user_last_active_at",
                                                                "008_add_memory",
                                                                "009_add_models",
                                                                "010_migrate_modelfiles_to_models",
                                                                "011_add_user_settings",
                                                                "012_add_tools",
                                                                "013_add_user_info",
                                                                "014_add_files",
                                                                "015_add_functions",
                                                                "016_add_valves_and_is_active",
                                                                "017_add_user_oauth_sub",
                                                                "018_add_function_is_global"};

// The persistent-settings blob (a trimmed-down but realistically nested one).
std::string ConfigJson() {
  std::string out;
  PyJson j(out);
  j.BeginObject().Key("version").Int(0);
  j.Key("ui").BeginObject().Key("default_locale").Str("").Key("enable_signup").Bool(false);
  j.Key("default_models").Str(vocab::kModels[0]).Key("banners").BeginArray().EndArray();
  j.Key("prompt_suggestions").BeginArray().BeginObject();
  j.Key("title").BeginArray().Str("Explain options trading").Str("if I'm familiar with buying and selling stocks");
  j.EndArray().Key("content").Str("Explain options trading in simple terms 📈").EndObject().EndArray().EndObject();
  j.Key("openai").BeginObject().Key("enable").Bool(true);
  j.Key("api_base_urls").BeginArray().Str("https://api.openai.com/v1").EndArray();
  j.Key("api_keys").BeginArray().Str("").EndArray();
  j.Key("api_configs").BeginObject().Key("0").BeginObject().EndObject().EndObject().EndObject();
  j.Key("ollama").BeginObject().Key("enable").Bool(true);
  j.Key("base_urls").BeginArray().Str("http://ollama:11434").EndArray();
  j.Key("api_configs").BeginObject().Key("0").BeginObject().EndObject().EndObject().EndObject();
  j.Key("rag").BeginObject().Key("top_k").Int(5).Key("chunk_size").Int(1000).Key("chunk_overlap").Int(100);
  j.Key("template")
      .Str(
          "### Task:\nRespond to the user query using the provided \"context\".\n<context>\n"
          "{{CONTEXT}}\n</context>");
  j.Key("file").BeginObject().Key("max_size").Null().Key("max_count").Null().EndObject().EndObject();
  j.Key("auth").BeginObject().Key("jwt_expiry").Str("4w");
  j.Key("api_key").BeginObject().Key("enable").Bool(true).EndObject().EndObject();
  j.Key("webui").BeginObject().Key("url").Str("https://chat.example.com").Key("name").Str("Open WebUI 🌍");
  j.EndObject().EndObject();
  return out;
}

}  // namespace

void GenerateBookkeeping(GenContext& c) {
  Tables& t = c.tables;
  for (size_t i = 0; i < kPeeweeMigrations.size(); ++i) {
    std::string at = fmt::format("2024-05-30 09:12:{:02}.{:06}", i, 100000 + i * 4099);
    t.migratehistory.Int(static_cast<int64_t>(i) + 1).Text(kPeeweeMigrations[i]).Text(at).End();
  }
  t.alembic_version.Text(kAlembicHead).End();
  // created_at as CURRENT_TIMESTAMP writes it; updated_at as save_to_db's
  // datetime.now() does, unless the no-fraction edge case is on.
  std::string_view updated = c.options.edge_cases ? "2025-09-29 11:02:45" : "2025-09-29 11:02:45.318207";
  t.config.Int(1).Text(ConfigJson()).Int(0).Text("2025-09-28 03:37:37").Text(updated).End();
}

}  // namespace tenantsync::gen
