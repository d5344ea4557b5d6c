// knowledge, knowledge_file, model, prompt, tool, function, memory, note.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "common/gen/generator_internal.h"
#include "common/gen/py_json.h"
#include "common/gen/vocab.h"

namespace tenantsync::gen {
namespace {

using namespace std::string_view_literals;

constexpr std::array kFunctionTypes = {"filter"sv, "action"sv, "pipe"sv};

std::string AccessControlJson(const std::vector<std::string>& group_ids) {
  std::string out;
  PyJson j(out);
  j.BeginObject().Key("read").BeginObject().Key("group_ids").BeginArray();
  if (!group_ids.empty()) j.Str(group_ids.front());
  j.EndArray().Key("user_ids").BeginArray().EndArray().EndObject();
  j.Key("write").BeginObject().Key("group_ids").BeginArray().EndArray();
  j.Key("user_ids").BeginArray().EndArray().EndObject().EndObject();
  return out;
}

void GenerateKnowledge(GenContext& c) {
  Prng& r = c.rng;
  Tables& t = c.tables;
  int64_t count = std::max<int64_t>(1, c.options.users / 5);
  for (int64_t k = 0; k < count; ++k) {
    const UserInfo& owner = c.users[r.Index(c.users.size())];
    std::string id = r.Uuid();
    int64_t created = c.Time();
    std::string_view name = r.Pick(vocab::kKnowledgeNames);
    std::string meta = r.Chance(500) ? "null" : "{}";
    int64_t updated = created + r.Range(0, 100'000);
    std::optional<std::string> access = NullOr(c, 100, 400, AccessControlJson(c.group_ids));
    t.knowledge.Text(id).Text(owner.id).Text(name).Text("Documents about " + std::string(name) + " ✅");
    t.knowledge.Text(meta).Int(created).Int(updated).OptText(access).Null().End();  // data: not mapped by the ORM
    for (size_t f : r.Sample(owner.file_ids.size(), owner.file_ids.size())) {
      std::string link = r.Uuid();
      t.knowledge_file.Text(link).Text(owner.id).Text(id).Text(owner.file_ids[f]).Int(created).Int(created).End();
    }
  }
}

void GenerateModelsPromptsTools(GenContext& c) {
  Prng& r = c.rng;
  Tables& t = c.tables;
  int64_t count = std::max<int64_t>(1, c.options.users / 10);
  for (int64_t i = 0; i < count; ++i) {
    int64_t created = c.Time();
    std::string_view base = r.Pick(vocab::kModels);
    std::string meta;
    PyJson m(meta);
    m.BeginObject().Key("profile_image_url").Str("/static/favicon.png");
    m.Key("description").Str(fmt::format("Assistant \"{}\" for the team", i));
    m.Key("capabilities").BeginObject().Key("vision").Bool(r.Chance(500)).Key("citations").Bool(true).EndObject();
    m.Key("tags").BeginArray().EndArray().EndObject();
    std::string params;
    PyJson p(params);
    p.BeginObject().Key("system").Str(vocab::Text(r, 80));
    p.Key("temperature").Raw(fmt::format("0.{}", r.Range(1, 9))).EndObject();
    int64_t updated = created + r.Range(0, 100'000);
    std::optional<std::string> access = NullOr(c, 400, 400, AccessControlJson(c.group_ids));
    int64_t active = r.Chance(200) ? 0 : 1;
    t.model.Text(fmt::format("team-assistant-{}", i)).Text(c.admin()).Text(base);
    t.model.Text(fmt::format("Assistant {} 🤖", i)).Text(meta).Text(params).Int(created).Int(updated);
    t.model.OptText(access).Int(active).End();

    std::string content = "Summarize the following text in three bullet points:\n{{CLIPBOARD}}\n— ";
    vocab::AppendText(r, 20, content);
    std::optional<std::string> prompt_access = NullOr(c, 400, 600, "");
    t.prompt.Text(fmt::format("/summarize-{}", i)).Text(c.admin()).Text(fmt::format("Summarize #{}", i));
    t.prompt.Text(content).Int(updated).OptText(prompt_access).End();

    std::string specs =
        "[{\"name\": \"search\", \"description\": \"Search the web\", \"parameters\": {\"type\": \"object\", "
        "\"properties\": {\"query\": {\"type\": \"string\"}}, \"required\": [\"query\"]}}]";
    std::optional<std::string> valves = NullOr(c, 300, 300, "{\"api_key\": \"\"}");
    std::optional<std::string> tool_access = NullOr(c, 500, 500, "");
    t.tool.Text(fmt::format("web_search_{}", i)).Text(c.admin()).Text(fmt::format("Web search {}", i));
    t.tool.Text(
        "class Tools:\n    def search(self, query: str) -> str:\n        \"\"\"Search.\"\"\"\n        return query\n");
    t.tool.Text(specs).Text("{\"description\": \"Searches the web \\ud83d\\udd0d\", \"manifest\": {}}");
    t.tool.Int(created).Int(created).OptText(valves).OptText(tool_access).End();
  }
  int64_t functions = std::max<int64_t>(2, c.options.users / 20);
  for (int64_t i = 0; i < functions; ++i) {
    int64_t created = c.Time();
    std::string_view type = r.Pick(std::span<const std::string_view>(kFunctionTypes));
    std::string meta =
        fmt::format("{{\"description\": \"A {} \\u2728\", \"manifest\": {{\"version\": \"0.{}\"}}}}", type, i % 10);
    int64_t updated = created + r.Range(0, 100'000);
    std::optional<std::string> valves = NullOr(c, 300, 350, fmt::format("{{\"priority\": {}}}", i));
    int64_t active = r.Range(0, 1);
    int64_t global = r.Range(0, 1);
    t.function.Text(fmt::format("{}_{}", type, i)).Text(c.admin()).Text(fmt::format("Function {}", i)).Text(type);
    t.function.Text("class Filter:\n    def inlet(self, body: dict) -> dict:\n        return body\n");
    t.function.Text(meta).Int(created).Int(updated).OptText(valves).Int(active).Int(global).End();
  }
}

void GenerateMemoriesAndNotes(GenContext& c) {
  Prng& r = c.rng;
  Tables& t = c.tables;
  for (const UserInfo& u : c.users) {
    int64_t memories = r.Range(0, 3);
    for (int64_t i = 0; i < memories; ++i) {
      std::string id = r.Uuid();
      int64_t created = c.Time();
      std::string_view text = r.Pick(vocab::kMemories);
      int64_t updated = created + r.Range(0, 1000);
      t.memory.Text(id).Text(u.id).Text(text).Int(updated).Int(created).End();
    }
    if (!r.Chance(300)) continue;
    std::string id = r.Uuid();
    std::string_view title = r.Pick(vocab::kNoteTitles);
    std::string body = vocab::Text(r, static_cast<size_t>(r.Range(50, 400)));
    std::string data;
    PyJson d(data);
    d.BeginObject().Key("content").BeginObject().Key("json").Null().Key("html").Str("<p>" + body + "</p>");
    d.Key("md").Str(body).EndObject().EndObject();
    std::optional<std::string> access = NullOr(c, 500, 500, "");
    int64_t created = c.TimeNs();
    int64_t updated = created + r.Range(0, 1'000'000'000'000);
    t.note.Text(id).Text(u.id).Text(title).Text(data).Text("null").OptText(access).Int(created).Int(updated).End();
  }
}

}  // namespace

void GenerateWorkspace(GenContext& c) {
  GenerateKnowledge(c);
  GenerateModelsPromptsTools(c);
  GenerateMemoriesAndNotes(c);
}

}  // namespace tenantsync::gen
