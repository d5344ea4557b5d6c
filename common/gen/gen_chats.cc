// Per user: tag, folder, file, then the user's chats with their chat_file
// links, shared snapshots and feedback.
#include <fmt/format.h>

#include <algorithm>

#include "common/gen/generator_internal.h"
#include "common/gen/py_json.h"
#include "common/gen/vocab.h"

namespace tenantsync::gen {
namespace {

// Open WebUI's tag id: name.replace(" ", "_").lower().
std::string TagId(std::string_view name) {
  std::string id(name);
  for (char& ch : id) {
    if (ch == ' ') ch = '_';
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch | 0x20);
  }
  return id;
}

void GenerateTagsFoldersFiles(GenContext& c, UserInfo& u) {
  Prng& r = c.rng;
  Tables& t = c.tables;
  size_t tags = static_cast<size_t>(r.Range(0, 4));
  for (size_t i : r.Sample(vocab::kTagNames.size(), tags)) {
    std::string_view name = vocab::kTagNames[i];
    u.tag_ids.push_back(TagId(name));
    t.tag.Text(u.tag_ids.back()).Text(name).Text(u.id).OptText(NullOr(c, 500, 500, "")).End();
  }
  int64_t folders = r.Range(0, 3);
  for (int64_t i = 0; i < folders; ++i) {
    std::string id = r.Uuid();
    int64_t created = c.Time();
    std::optional<std::string> parent;
    if (!u.folder_ids.empty() && r.Chance(300)) parent = u.folder_ids.front();
    std::string_view name = r.Pick(vocab::kFolderNames);
    int64_t expanded = r.Range(0, 1);
    int64_t updated = created + r.Range(0, 100'000);
    std::optional<std::string> data = NullOr(c, 300, 700, "");
    t.folder.Text(id).OptText(parent).Text(u.id).Text(name).Null().Text("null").Int(expanded).Int(created);
    t.folder.Int(updated).OptText(data).End();
    u.folder_ids.push_back(std::move(id));
  }
  int64_t files = r.Range(0, 4);
  for (int64_t i = 0; i < files; ++i) {
    std::string id = r.Uuid();
    std::string_view name = r.Pick(vocab::kFileNames);
    int64_t created = c.Time();
    std::string content = vocab::Text(r, static_cast<size_t>(r.Range(100, 900)));
    int64_t size = static_cast<int64_t>(content.size()) * r.Range(1, 40);
    std::string meta;
    PyJson m(meta);
    m.BeginObject().Key("name").Str(name).Key("content_type").Str(vocab::MimeType(name)).Key("size").Int(size);
    m.Key("data").BeginObject().EndObject().Key("collection_name").Str("file-" + id).EndObject();
    std::string hash = r.Hex(64);
    std::optional<std::string> data;
    if (r.Chance(900)) {
      data.emplace();
      PyJson d(*data);
      d.BeginObject().Key("status").Str("completed").Key("content").Str(content).EndObject();
    }
    std::optional<int64_t> updated;
    if (r.Chance(900)) updated = created + r.Range(0, 1000);
    std::optional<std::string> access = NullOr(c, 500, 500, "");
    t.file.Text(id).Text(u.id).Text(name).Text(meta).Int(created).Text(hash).OptText(data).OptInt(updated);
    t.file.Text(fmt::format("/app/backend/data/uploads/{}_{}", id, name)).OptText(access).End();
    u.file_ids.push_back(std::move(id));
  }
}

void GenerateFeedback(GenContext& c, const ChatRow& chat, const std::string& message_id, std::string_view model) {
  Prng& r = c.rng;
  std::string id = r.Uuid();
  std::string data;
  PyJson d(data);
  d.BeginObject().Key("rating").Int(r.Chance(700) ? 1 : -1).Key("model_id").Str(model).Key("reason").Str("");
  d.Key("comment").Str(r.Chance(500) ? "" : "👍 helpful").EndObject();
  std::string meta;
  PyJson m(meta);
  m.BeginObject().Key("arena").Bool(false).Key("chat_id").Str(chat.id).Key("message_id").Str(message_id);
  m.Key("tags").BeginArray().EndArray().EndObject();
  std::string snapshot = "null";
  if (r.Chance(300)) snapshot = "{\"chat\": " + std::string(chat.chat) + "}";
  int64_t at = chat.updated + r.Range(0, 86400);
  c.tables.feedback.Text(id).Text(chat.user_id).Int(0).Text("rating").Text(data).Text(meta).Text(snapshot);
  c.tables.feedback.Int(at).Int(at).End();
}

void GenerateChat(GenContext& c, const UserInfo& u) {
  Prng& r = c.rng;
  ChatRow row;
  row.id = r.Uuid();
  row.user_id = u.id;
  row.created = c.Time();
  row.updated = std::min(kT1, row.created + r.Range(0, 86400 * 30));
  row.title = r.Pick(vocab::kChatTitles);
  std::string_view model = r.Pick(vocab::kModels);
  ChatSpec spec;
  spec.title = row.title;
  spec.created = row.created;
  spec.model = model;
  spec.target_bytes = static_cast<size_t>(c.options.chat_bytes * r.Range(75, 125) / 100);
  std::string current = c.blobs.Build(r, spec, c.blob);
  row.chat = c.blob;
  size_t tags = u.tag_ids.empty() ? 0 : static_cast<size_t>(r.Range(0, static_cast<int64_t>(u.tag_ids.size())));
  if (tags > 0) {
    row.meta.clear();
    PyJson m(row.meta);
    m.BeginObject().Key("tags").BeginArray();
    for (size_t i : r.Sample(u.tag_ids.size(), tags)) m.Str(u.tag_ids[i]);
    m.EndArray().EndObject();
  }
  if (!r.Chance(100)) row.pinned = r.Chance(50) ? 1 : 0;  // NULL: rows older than the column
  row.archived = r.Chance(80) ? 1 : 0;
  if (!u.folder_ids.empty() && r.Chance(300)) row.folder_id = u.folder_ids[r.Index(u.folder_ids.size())];
  bool shared = r.Chance(50);
  if (shared) row.share_id = r.Uuid();
  InsertChat(c, row);
  if (shared) {  // the snapshot Open WebUI copies when a chat is shared
    ChatRow copy = row;
    copy.id = *row.share_id;
    copy.user_id = "shared-" + row.id;
    copy.share_id.reset();
    copy.archived = 0;
    copy.updated = row.updated + 60;
    InsertChat(c, copy);
  }
  if (!u.file_ids.empty() && r.Chance(150)) {
    std::string id = r.Uuid();
    const std::string& file_id = u.file_ids[r.Index(u.file_ids.size())];
    c.tables.chat_file.Text(id).Text(u.id).Text(row.id).Text(file_id).Text(current).Int(row.updated);
    c.tables.chat_file.Int(row.updated).End();
  }
  if (r.Chance(50)) GenerateFeedback(c, row, current, model);
}

}  // namespace

void GenerateChats(GenContext& c) {
  for (UserInfo& u : c.users) {
    GenerateTagsFoldersFiles(c, u);
    for (int64_t i = 0; i < c.options.chats_per_user; ++i) GenerateChat(c, u);
  }
}

}  // namespace tenantsync::gen
