#include "common/gen/vocab.h"

#include <algorithm>
#include <array>

#include "common/gen/py_json.h"
#include "common/utf8.h"

namespace tenantsync::gen::vocab {
namespace {

using namespace std::string_view_literals;

constexpr std::array kFirst = {"Amara"sv,  "Björn"sv,    "Camille"sv, "Dmitri"sv, "Elif"sv,    "Fatima"sv, "Gustavo"sv,
                               "Hana"sv,   "Ivan"sv,     "Jürgen"sv,  "Keiko"sv,  "Lars"sv,    "Maëlle"sv, "Nnamdi"sv,
                               "Oksana"sv, "Pedro"sv,    "Qing"sv,    "Radek"sv,  "Siobhán"sv, "Thanh"sv,  "Ulla"sv,
                               "Vikram"sv, "Wojciech"sv, "Ximena"sv,  "Yusuf"sv,  "Zsófia"sv};
constexpr std::array kLast = {"Andersson"sv, "O'Connor"sv, "Schäfer"sv, "Fernández"sv, "Nowak"sv,   "Tran"sv,
                              "Yamamoto"sv,  "王"sv,       "Petrova"sv, "Lefèvre"sv,   "Bianchi"sv, "Khoury"sv,
                              "Adeyemi"sv,   "Costa"sv,    "Park"sv,    "Øvergaard"sv};
constexpr std::array kTitles = {"Quarterly OKR review"sv,
                                "Nginx reverse proxy config"sv,
                                "Compte rendu de réunion 📝"sv,
                                "机器学习模型评估"sv,
                                "東京旅行の計画 🗼"sv,
                                "Postgres VACUUM tuning"sv,
                                "Weekend hike ⛰️ packing list"sv,
                                "Why does it say \"permission denied\"?"sv,
                                "Escape C:\\temp\\new paths"sv,
                                "Anniversary poem 💐"sv,
                                "Terraform state drift"sv,
                                "한국어 존댓말 질문"sv,
                                "Monthly budget 💶"sv,
                                "🧑‍💻🚀🔥 launch day"sv,
                                "Go generics vs interfaces"sv,
                                "Recipe: 宫保鸡丁"sv,
                                "New Chat"sv,
                                "It's a 'single' and a \"double\""sv,
                                "Column\tseparated\ttitle"sv,
                                "Ünïcödé and ß test"sv,
                                "مرحبا بالعالم"sv,
                                "עברית בבקשה"sv};
constexpr std::array kTags = {"work"sv,         "personal"sv, "coding"sv, "Brainstorm"sv, "travel"sv,
                              "Reading List"sv, "urgent"sv,   "日本語"sv, "finance 💰"sv};
constexpr std::array kModelNames = {"llama3.1:8b"sv,       "gpt-4o-mini"sv, "qwen2.5:14b"sv,
                                    "mistral-small:24b"sv, "gemma3:12b"sv,  "deepseek-r1:7b"sv};
constexpr std::array kFiles = {"annual-report.pdf"sv, "会议纪要.docx"sv,  "présentation.pptx"sv,
                               "notes 2025-03.txt"sv, "export (2).csv"sv, "スクリーンショット.png"sv,
                               "D'Angelo draft.md"sv, "invoice#42.pdf"sv};
constexpr std::array kFolders = {"Projects"sv, "私人"sv, "Archive 2024"sv, "Client \"A\""sv, "Research 🔬"sv};
constexpr std::array kMemoryTexts = {"Prefers answers in bullet points."sv, "私の名前は佐藤です。"sv,
                                     "Works in the \"platform\" team 🛠️"sv, "Uses metric units and 24h time."sv,
                                     "Vegetarian; allergic to peanuts."sv};
constexpr std::array kNotes = {"Standup notes"sv, "読書メモ"sv, "Ideas ✨"sv, "Groceries"sv, "1:1 agenda"sv};
constexpr std::array kGroups = {"Engineering"sv, "Marketing 📣"sv, "研究开发"sv, "Customer Success"sv, "Admins"sv};
constexpr std::array kChannels = {"general"sv, "random"sv, "開発チーム"sv, "incidents-🚨"sv, "announcements"sv};
constexpr std::array kKnowledge = {"Employee handbook"sv, "製品ドキュメント"sv, "Papers to read"sv,
                                   "Support FAQ \"2025\""sv, "API reference"sv};
constexpr std::array kReactionNames = {"thumbsup"sv, "heart"sv, "laughing"sv, "eyes"sv, "👍"sv, "🎉"sv, "✅"sv};

constexpr std::array kSnippets = {
    "Here's a quick example in Python:\n```python\nimport json\nprint(json.dumps({\"a\": 1}))\n```\n"sv,
    "Good question! 🙂 There are three parts to this:\n1. Parse the input\n2. Validate it — carefully\n3. Store it\n"sv,
    "在分布式系统中，数据复制需要权衡一致性、可用性和分区容错性。"sv,
    "このエラーは設定ファイルのパスが間違っている場合に発生します。"sv,
    "As the saying goes, \"measure twice, cut once\" — and don't forget the backslash \\ in paths.\n"sv,
    "| metric | before | after |\n|---|---|---|\n| p95 ms | 120 | 45 |\n"sv,
    "Mixed emoji: 👨‍👩‍👧‍👦 🏳️‍🌈 👋🏿 and symbols: ∀x ∈ ℝ, x² ≥ 0; ≠ ≤ ∞.\n"sv,
    "Русский текст, Ελληνικά, हिन्दी, ภาษาไทย, العربية — scripts side by side.\n"sv,
    "A JSON snippet inside text: {\"items\": [1, 2.5, null, {\"ok\": true}]}\n"sv,
    "Windows line endings follow.\r\nSecond line.\r\n"sv,
    "Tabs\tbetween\tcolumns\tand a trailing tab\t\n"sv,
    "Sure. The SQL would be:\n```sql\nSELECT id, title FROM chat WHERE user_id = ? ORDER BY updated_at DESC;\n```\n"sv,
};

struct EscapedSnippet {
  std::string text;
  std::vector<size_t> cuts;  // offsets after each whole character, ascending
};

std::vector<EscapedSnippet> EscapeAll(bool ensure_ascii) {
  std::vector<EscapedSnippet> all;
  for (std::string_view raw : kSnippets) {
    EscapedSnippet s;
    for (size_t i = 0; i < raw.size();) {
      size_t len = std::max<size_t>(1, Utf8SequenceLength(raw, i));
      AppendJsonEscaped(raw.substr(i, len), ensure_ascii, s.text);
      s.cuts.push_back(s.text.size());
      i += len;
    }
    all.push_back(std::move(s));
  }
  return all;
}

const std::vector<EscapedSnippet>& Escaped(bool ensure_ascii) {
  static const std::vector<EscapedSnippet> kAscii = EscapeAll(true);
  static const std::vector<EscapedSnippet> kUnicode = EscapeAll(false);
  return ensure_ascii ? kAscii : kUnicode;
}

}  // namespace

const std::span<const std::string_view> kFirstNames = kFirst;
const std::span<const std::string_view> kLastNames = kLast;
const std::span<const std::string_view> kChatTitles = kTitles;
const std::span<const std::string_view> kTagNames = kTags;
const std::span<const std::string_view> kModels = kModelNames;
const std::span<const std::string_view> kFileNames = kFiles;
const std::span<const std::string_view> kFolderNames = kFolders;
const std::span<const std::string_view> kMemories = kMemoryTexts;
const std::span<const std::string_view> kNoteTitles = kNotes;
const std::span<const std::string_view> kGroupNames = kGroups;
const std::span<const std::string_view> kChannelNames = kChannels;
const std::span<const std::string_view> kKnowledgeNames = kKnowledge;
const std::span<const std::string_view> kReactions = kReactionNames;

std::string_view MimeType(std::string_view file_name) {
  auto ends = [&](std::string_view ext) { return file_name.ends_with(ext); };
  if (ends(".pdf")) return "application/pdf";
  if (ends(".docx")) return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  if (ends(".pptx")) return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
  if (ends(".txt")) return "text/plain";
  if (ends(".csv")) return "text/csv";
  if (ends(".png")) return "image/png";
  if (ends(".md")) return "text/markdown";
  return "application/octet-stream";
}

void AppendText(Prng& rng, size_t min_bytes, std::string& out) {
  size_t start = out.size();
  while (out.size() - start < min_bytes) out.append(kSnippets[rng.Index(kSnippets.size())]);
}

std::string Text(Prng& rng, size_t min_bytes) {
  std::string out;
  AppendText(rng, min_bytes, out);
  return out;
}

void AppendEscapedText(Prng& rng, size_t bytes, bool ensure_ascii, std::string& out) {
  const std::vector<EscapedSnippet>& snippets = Escaped(ensure_ascii);
  size_t left = bytes;
  while (left > 0) {
    const EscapedSnippet& s = snippets[rng.Index(snippets.size())];
    if (s.text.size() <= left) {
      out.append(s.text);
      left -= s.text.size();
      continue;
    }
    // The last piece: cut at the last character boundary that fits.
    auto it = std::upper_bound(s.cuts.begin(), s.cuts.end(), left);
    if (it != s.cuts.begin()) out.append(s.text, 0, *(it - 1));
    return;
  }
}

std::string Base64(Prng& rng, size_t n, bool url_safe) {
  const char* alphabet = url_safe ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                  : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  uint64_t bits = 0;
  int have = 0;  // random bytes left in `bits`
  auto next_byte = [&]() -> uint32_t {
    if (have == 0) {
      bits = rng.Next();
      have = 8;
    }
    uint32_t b = static_cast<uint32_t>(bits & 0xff);
    bits >>= 8;
    --have;
    return b;
  };
  for (size_t i = 0; i < n; i += 3) {
    size_t chunk = std::min<size_t>(3, n - i);
    uint32_t v = next_byte() << 16;
    if (chunk > 1) v |= next_byte() << 8;
    if (chunk > 2) v |= next_byte();
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(chunk > 1 ? alphabet[(v >> 6) & 63] : '=');
    out.push_back(chunk > 2 ? alphabet[v & 63] : '=');
  }
  return out;
}

}  // namespace tenantsync::gen::vocab
