// AppendCopyField, the per-value cost of sync-run's copy: one field of each
// kind a chat row holds (json, boolean, epoch → timestamp, varchar(255)).
// Bytes/s counts the source bytes converted (SQLite's text of the value).
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <cstdint>
#include <iterator>
#include <string>

#include "common/sync/convert.h"

namespace tenantsync {
namespace {

constexpr int kSqliteInteger = 1;
constexpr int kSqliteText = 3;

// An Open WebUI-like chat document of about 2 KB: nested objects, arrays,
// numbers, escapes and some non-ASCII text, so the JSON check does real work.
std::string ChatJson() {
  std::string json = R"({"id":"5f1c2a9e-3b7d-4c11-9a2e-7f00c0ffee01","title":"Trip planning \u2708 notes",)"
                     R"("models":["llama3.1:8b"],"params":{},"history":{"messages":{)";
  for (int i = 0; json.size() < 1900; ++i) {
    fmt::format_to(std::back_inserter(json),
                   R"({}"m{}":{{"id":"m{}","parentId":{},"childrenIds":[],"role":"{}",)"
                   R"("content":"Could you \"summarise\" the plan? Café, naïve, 東京.\nLine two\tend",)"
                   R"("timestamp":{},"done":true}})",
                   i > 0 ? "," : "", i, i, i > 0 ? fmt::format("\"m{}\"", i - 1) : "null",
                   i % 2 ? "assistant" : "user", 1727740800 + i);
  }
  json += R"(},"currentId":"m0"},"tags":[],"timestamp":1727740800123,"files":[]})";
  return json;
}

// Converts `value` into a column of type `pg_type` once per iteration.
void RunConvert(benchmark::State& state, const SourceValue& value, const char* pg_type) {
  const TargetType target = ParseTargetType(pg_type);
  std::string out;
  out.reserve(value.bytes.size() * 2 + 64);
  for (auto _ : state) {
    out.clear();
    auto error = AppendCopyField(value, target, out);
    if (error.has_value()) {
      state.SkipWithError(error->c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(value.bytes.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_JsonTextToJson(benchmark::State& state) {
  const std::string json = ChatJson();
  RunConvert(state, SourceValue{kSqliteText, 0, 0, json}, "json");
  state.SetLabel(std::to_string(json.size()) + " bytes");
}
BENCHMARK(BM_JsonTextToJson);

void BM_IntegerToBoolean(benchmark::State& state) {
  RunConvert(state, SourceValue{kSqliteInteger, 1, 0, "1"}, "boolean");
}
BENCHMARK(BM_IntegerToBoolean);

void BM_EpochToTimestamp(benchmark::State& state) {
  RunConvert(state, SourceValue{kSqliteInteger, 1727740800, 0, "1727740800"}, "timestamp without time zone");
}
BENCHMARK(BM_EpochToTimestamp);

void BM_TextToVarchar255(benchmark::State& state) {
  const std::string title = "Weekly planning: budget, travel & notes!";  // 40 characters
  RunConvert(state, SourceValue{kSqliteText, 0, 0, title}, "character varying(255)");
}
BENCHMARK(BM_TextToVarchar255);

}  // namespace
}  // namespace tenantsync
