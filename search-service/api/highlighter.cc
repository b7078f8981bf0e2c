#include "search-service/api/highlighter.h"

#include <algorithm>
#include <vector>

#include "search-service/text/utf8.h"

namespace reel::search {
namespace {

using ::reel::search::v1::HighlightField;

constexpr HighlightField kWireField[kFieldCount] = {
    reel::search::v1::HIGHLIGHT_FIELD_SCENE_TITLE,
    reel::search::v1::HIGHLIGHT_FIELD_DESCRIPTION,
    reel::search::v1::HIGHLIGHT_FIELD_CONTEXT,
    reel::search::v1::HIGHLIGHT_FIELD_FILM_TITLE,
    reel::search::v1::HIGHLIGHT_FIELD_SYNOPSIS,
};

// Context shown before the first match in a windowed snippet.
constexpr size_t kLeadBytes = 80;

struct ByteSpan {
  uint32_t begin, end;
};

// Moves `offset` back to the start of the UTF-8 sequence it falls in.
size_t CodePointStart(absl::string_view text, size_t offset) {
  while (offset > 0 && offset < text.size() &&
         (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) {
    --offset;
  }
  return offset;
}

void AddHighlight(absl::string_view text, const std::vector<ByteSpan>& spans,
                  HighlightField field, reel::search::v1::Highlight* out) {
  size_t begin = 0;
  size_t end = text.size();
  if (text.size() > kMaxSnippetBytes) {
    // Window on word boundaries (spaces), starting a little before the
    // first match.
    begin =
        spans.front().begin > kLeadBytes ? spans.front().begin - kLeadBytes : 0;
    if (begin > 0) {
      const size_t space = text.find(' ', begin);
      begin = (space != absl::string_view::npos && space < spans.front().begin)
                  ? space + 1
                  : CodePointStart(text, begin);
    }
    end = std::min(text.size(), begin + kMaxSnippetBytes);
    if (end < text.size()) {
      const size_t space = text.rfind(' ', end);
      end = (space != absl::string_view::npos && space > spans.front().end)
                ? space
                : CodePointStart(text, end);
    }
  }
  const absl::string_view snippet = text.substr(begin, end - begin);
  out->set_field(field);
  out->set_snippet(std::string(snippet));
  text::Utf16OffsetMapper utf16(snippet);
  // Code points before a byte offset: the bytes that start a sequence.
  size_t counted_bytes = 0;
  int32_t code_points = 0;
  auto code_points_before = [&](size_t byte_offset) {
    for (; counted_bytes < byte_offset; ++counted_bytes) {
      if ((static_cast<unsigned char>(snippet[counted_bytes]) & 0xC0) != 0x80) {
        ++code_points;
      }
    }
    return code_points;
  };
  for (const ByteSpan& span : spans) {
    if (span.begin < begin || span.end > end) continue;
    auto* wire = out->add_spans();
    const uint32_t start_byte = span.begin - static_cast<uint32_t>(begin);
    const uint32_t end_byte = span.end - static_cast<uint32_t>(begin);
    wire->set_start_byte(static_cast<int32_t>(start_byte));
    wire->set_end_byte(static_cast<int32_t>(end_byte));
    wire->set_start_utf16(static_cast<int32_t>(utf16.ToUtf16(start_byte)));
    wire->set_end_utf16(static_cast<int32_t>(utf16.ToUtf16(end_byte)));
    wire->set_start_code_point(code_points_before(start_byte));
    wire->set_end_code_point(code_points_before(end_byte));
  }
}

}  // namespace

void BuildHit(const SceneHit& hit, int rank, const text::Analyzer& analyzer,
              reel::search::v1::SceneHit* out) {
  out->set_film(hit.film_name());
  out->set_film_title(hit.film->title());
  out->set_year(hit.film->year());
  out->set_scene_id(hit.scene_id());
  out->set_scene_title(hit.scene().title());
  out->set_score(hit.score);
  out->set_rank(rank);
  std::vector<text::Token> tokens;
  std::vector<ByteSpan> spans;
  for (int field = 0; field < kFieldCount; ++field) {
    const std::vector<std::string>& stems = hit.matched_stems[field];
    const std::string& text = hit.text(static_cast<Field>(field));
    if (stems.empty() || text.empty()) continue;
    analyzer.Analyze(text, &tokens);
    spans.clear();
    for (const text::Token& token : tokens) {
      if (!std::binary_search(stems.begin(), stems.end(), token.stem)) continue;
      // Alternates share their primary's offsets: keep one span per word.
      if (!spans.empty() && spans.back().begin == token.begin_byte) continue;
      spans.push_back({token.begin_byte, token.end_byte});
    }
    if (spans.empty()) continue;
    AddHighlight(text, spans, kWireField[field], out->add_highlights());
  }
}

}  // namespace reel::search
