#include "catalog-service/importer/film_id.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "catalog-service/model/film_name.h"

namespace reel::catalog {
namespace {

// Folds of U+00C0..U+00FF, eight to a row; "" marks the symbols × and ÷,
// which separate words.
// clang-format off
constexpr const char* kLatin1Folds[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c",   // À Á Â Ã Ä Å Æ Ç
    "e", "e", "e", "e", "i", "i", "i",  "i",   // È É Ê Ë Ì Í Î Ï
    "d", "n", "o", "o", "o", "o", "o",  "",    // Ð Ñ Ò Ó Ô Õ Ö ×
    "o", "u", "u", "u", "u", "y", "th", "ss",  // Ø Ù Ú Û Ü Ý Þ ß
    "a", "a", "a", "a", "a", "a", "ae", "c",   // à á â ã ä å æ ç
    "e", "e", "e", "e", "i", "i", "i",  "i",   // è é ê ë ì í î ï
    "d", "n", "o", "o", "o", "o", "o",  "",    // ð ñ ò ó ô õ ö ÷
    "o", "u", "u", "u", "u", "y", "th", "y"};  // ø ù ú û ü ý þ ÿ
// clang-format on

struct FoldRange {
  char32_t first;
  char32_t last;
  const char* fold;
};

// Latin Extended-A (and the Romanian comma letters), by base letter.
constexpr FoldRange kExtendedFolds[] = {
    {0x0100, 0x0105, "a"}, {0x0106, 0x010D, "c"},  {0x010E, 0x0111, "d"},
    {0x0112, 0x011B, "e"}, {0x011C, 0x0123, "g"},  {0x0124, 0x0127, "h"},
    {0x0128, 0x0131, "i"}, {0x0132, 0x0133, "ij"}, {0x0134, 0x0135, "j"},
    {0x0136, 0x0138, "k"}, {0x0139, 0x0142, "l"},  {0x0143, 0x014B, "n"},
    {0x014C, 0x0151, "o"}, {0x0152, 0x0153, "oe"}, {0x0154, 0x0159, "r"},
    {0x015A, 0x0161, "s"}, {0x0162, 0x0167, "t"},  {0x0168, 0x0173, "u"},
    {0x0174, 0x0175, "w"}, {0x0176, 0x0178, "y"},  {0x0179, 0x017E, "z"},
    {0x017F, 0x017F, "s"}, {0x0218, 0x0219, "s"},  {0x021A, 0x021B, "t"},
};

// Decodes one UTF-8 sequence at the front of `text` and removes it. Invalid
// bytes decode as U+FFFD, one byte at a time.
char32_t NextCodePoint(absl::string_view& text) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(0);
  size_t length = lead < 0x80           ? 1
                  : (lead >> 5) == 0x6  ? 2
                  : (lead >> 4) == 0xE  ? 3
                  : (lead >> 3) == 0x1E ? 4
                                        : 0;
  if (length == 0 || length > text.size()) {
    text.remove_prefix(1);
    return 0xFFFD;
  }
  char32_t code_point = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) {
      text.remove_prefix(1);
      return 0xFFFD;
    }
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  text.remove_prefix(length);
  return code_point;
}

bool IsApostrophe(char32_t c) {
  return c == '\'' || c == 0x2018 || c == 0x2019 || c == 0x02BC;
}

// The ASCII letters/digits `c` stands for, or "" when it separates words.
std::string Fold(char32_t c) {
  if (c >= '0' && c <= '9') return std::string(1, static_cast<char>(c));
  if (c >= 'a' && c <= 'z') return std::string(1, static_cast<char>(c));
  if (c >= 'A' && c <= 'Z')
    return std::string(1, static_cast<char>(c - 'A' + 'a'));
  if (c >= 0xC0 && c <= 0xFF) return kLatin1Folds[c - 0xC0];
  for (const FoldRange& range : kExtendedFolds) {
    if (c >= range.first && c <= range.last) return range.fold;
  }
  return "";
}

// FNV-1a: stable across builds and platforms, unlike std::hash.
uint64_t StableHash(absl::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

std::string SlugFromTitle(absl::string_view title, int year) {
  std::string slug;
  bool pending_dash = false;
  const auto append_word_part = [&](absl::string_view part) {
    if (pending_dash && !slug.empty()) slug.push_back('-');
    pending_dash = false;
    slug.append(part.data(), part.size());
  };
  for (absl::string_view rest = title; !rest.empty();) {
    const char32_t c = NextCodePoint(rest);
    if (IsApostrophe(c)) continue;  // "King's" -> "kings", not "king-s".
    if (c == '&') {                 // A word of its own: "Pride & Prejudice".
      pending_dash = true;
      append_word_part("and");
      pending_dash = true;
      continue;
    }
    const std::string folded = Fold(c);
    if (folded.empty()) {
      pending_dash = true;
    } else {
      append_word_part(folded);
    }
  }
  if (slug.empty()) {
    slug = absl::StrFormat("film-%016x", StableHash(title));
  }
  const std::string suffix = year != 0 ? absl::StrCat("-", year) : "";
  if (slug.size() + suffix.size() > kMaxFilmIdBytes) {
    slug.resize(kMaxFilmIdBytes - suffix.size());
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
  }
  return slug + suffix;
}

}  // namespace reel::catalog
