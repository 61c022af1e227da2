// A SAX handler builds the document, so the depth is checked at each opening bracket and parsing
// stops there; nlohmann's own DOM parser would build the whole tree first, and copying, dumping or
// comparing a 100,000-deep tree recurses until the stack overflows. Texts in the subset that
// json_fast.h reads (short, ASCII, no \u escapes: what the service sees) skip both.

#include "prereg/actions/json.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "json_fast.h"

namespace prereg {

namespace {

using json = nlohmann::json;

constexpr int kNumberOverflow = 406;  // nlohmann's out_of_range.406

// Between nlohmann's parser and a JsonEvents: checks the depth at each opening bracket, so that
// the parse stops there, and keeps the parser's error.
class Bounded : public nlohmann::json_sax<json> {
 public:
  Bounded(JsonEvents* to, size_t max_depth) : to_(to), max_depth_(max_depth) {}

  bool null() override { return to_->null(); }
  bool boolean(bool v) override { return to_->boolean(v); }
  bool number_integer(number_integer_t v) override { return to_->number_integer(v); }
  bool number_unsigned(number_unsigned_t v) override { return to_->number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) override {
    return to_->number_float(v, s);
  }
  bool string(string_t& v) override { return to_->string(v); }
  bool binary(binary_t&) override { return false; }  // not produced by the JSON parser
  bool start_object(std::size_t n) override { return Deeper() && to_->start_object(n); }
  bool key(string_t& k) override { return to_->key(k); }
  bool end_object() override {
    --depth_;
    return to_->end_object();
  }
  bool start_array(std::size_t n) override { return Deeper() && to_->start_array(n); }
  bool end_array() override {
    --depth_;
    return to_->end_array();
  }

  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& e) override {
    error_id_ = e.id;
    // The parser reports the position after the last character it read; a number out of range
    // is pointed at where it starts.
    error_offset_ = position > 0 ? position - 1 : 0;
    if (e.id == kNumberOverflow && last_token.size() <= position) {
      error_offset_ = position - last_token.size();
    }
    // "[json.exception.parse_error.101] parse error at line 1, column 2: <problem>; last read:
    // '<input bytes>'". Keep <problem>; the bytes may be a password.
    std::string what = e.what();
    if (auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
    if (auto last = what.find("; last read:"); last != std::string::npos) what.resize(last);
    error_ = std::move(what);
    return false;
  }

  bool too_deep() const { return too_deep_; }
  size_t error_offset() const { return error_offset_; }
  int error_id() const { return error_id_; }
  const std::string& error() const { return error_; }

 private:
  bool Deeper() {
    if (depth_ >= max_depth_) {
      too_deep_ = true;
      return false;
    }
    ++depth_;
    return true;
  }

  JsonEvents* const to_;
  const size_t max_depth_;
  size_t depth_ = 0;
  bool too_deep_ = false;
  size_t error_offset_ = 0;
  int error_id_ = 0;
  std::string error_;
};

// The byte offset of the bracket that opens level `max_depth + 1`, skipping strings.
size_t OffsetOfExcessDepth(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
    }
  }
  return text.size();
}

// "line L, column C" of byte `offset` (1-based, columns in bytes).
std::string Where(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("line {}, column {}", line, column);
}

// nlohmann's parser, for whatever the fast reader declines.
Status ReadSax(std::string_view text, std::string_view what, const JsonLimits& limits,
               JsonEvents* events) {
  Bounded bounded(events, limits.max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(text, &bounded);
  } catch (const std::exception& e) {  // not expected from the SAX parser; never let one escape
    return Status::InvalidArgument(fmt::format("{} could not be parsed as JSON", what));
  }
  if (ok) return Status::OK();
  if (bounded.too_deep()) {
    return Status::InvalidArgument(
        fmt::format("{} nests arrays and objects deeper than {} levels (at {})", what,
                    limits.max_depth, Where(text, OffsetOfExcessDepth(text, limits.max_depth))));
  }
  if (bounded.error_id() == 0) {  // `events` stopped the parse
    return Status::InvalidArgument(fmt::format("{} could not be parsed as JSON", what));
  }
  const std::string problem = bounded.error_id() == kNumberOverflow
                                  ? std::string("a number is too large to represent")
                                  : bounded.error();
  return Status::InvalidArgument(fmt::format("{} is not valid JSON at {}: {}", what,
                                             Where(text, bounded.error_offset()), problem));
}

}  // namespace

void JsonTreeBuilder::Restart() {
  root_ = nullptr;
  stack_.clear();
  slot_ = nullptr;
}

json* JsonTreeBuilder::Place(json value) {
  if (stack_.empty()) {
    root_ = std::move(value);
    return &root_;
  }
  if (stack_.back()->is_array()) {
    stack_.back()->push_back(std::move(value));
    return &stack_.back()->back();
  }
  *slot_ = std::move(value);
  return slot_;
}

Result<json> ParseJson(std::string_view text, std::string_view what, const JsonLimits& limits) {
  if (json fast; FastParseJson(text, limits.max_depth, &fast)) return fast;
  return ParseJsonSax(text, what, limits);
}

Status ParseJsonEvents(std::string_view text, std::string_view what, const JsonLimits& limits,
                       JsonEvents* events) {
  if (FastParseJsonEvents(text, limits.max_depth, events)) return Status::OK();
  events->Restart();
  return ReadSax(text, what, limits, events);
}

Result<json> ParseJsonSax(std::string_view text, std::string_view what, const JsonLimits& limits) {
  JsonTreeBuilder builder;
  if (auto status = ReadSax(text, what, limits, &builder); !status.ok()) return status;
  return std::move(builder.root());
}

std::string DumpJson(const json& value, int indent) {
  if (indent < 0) {  // JsonWriter writes nlohmann's compact text, faster (see Value)
    JsonWriter w;
    w.Value(value);
    return std::move(w).Take();
  }
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string DumpJson(const nlohmann::ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

namespace {

// True when a byte of `word` is not printable ASCII other than '"' and '\\' (what JSON writes
// as itself).
constexpr bool AnyNotPlain(uint64_t word) { return NotPlainBytes(word) != 0; }
constexpr uint64_t kOnes = 0x0101010101010101ULL;

template <typename Word>
Word Load(const char* p) {
  Word word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// Printable ASCII that JSON writes as itself: nothing to escape, nothing to replace. A word at a
// time, the last bytes too (most keys and values the service writes are shorter than eight, and
// a loop over their bytes cost more than the rest of writing them; bench/README.md). Loads may
// overlap: a byte tested twice changes no answer.
bool Plain(std::string_view text) {
  const char* p = text.data();
  const size_t n = text.size();
  if (n >= 8) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
      if (AnyNotPlain(Load<uint64_t>(p + i))) return false;
    }
    return n % 8 == 0 || !AnyNotPlain(Load<uint64_t>(p + n - 8));
  }
  uint64_t word = kOnes * ' ';  // the bytes no load fills stay plain
  if (n >= 4) {
    word = Load<uint32_t>(p) | uint64_t{Load<uint32_t>(p + n - 4)} << 32;
  } else if (n >= 2) {
    word = (word & ~uint64_t{0xFFFFFFFF}) | Load<uint16_t>(p) |
           uint64_t{Load<uint16_t>(p + n - 2)} << 16;
  } else if (n == 1) {
    word = (word & ~uint64_t{0xFF}) | static_cast<unsigned char>(p[0]);
  }
  return !AnyNotPlain(word);
}

// DumpJson's text of `value`, valid until the thread's next call. A serializer allocates its
// output adapter and a 512-byte indent string when made, so each thread keeps one, writing into a
// buffer of its own.
std::string_view DumpText(const json& value) {
  thread_local std::string text;
  thread_local nlohmann::detail::serializer<json> serializer(
      nlohmann::detail::output_adapter<char>(text), ' ', json::error_handler_t::replace);
  text.clear();
  serializer.dump(value, /*pretty_print=*/false, /*ensure_ascii=*/false, 0);
  return text;
}

}  // namespace

void JsonWriter::Grow(size_t n) {
  out_.resize(std::max(out_.size() * 2, size_ + n + 64));
}

void JsonWriter::Quoted(char before, std::string_view text, char after) {
  if (!Plain(text)) {  // escapes and invalid UTF-8, as DumpJson writes them
    if (before != 0) Put(before);
    Put(DumpText(json(std::string(text))));
    if (after != 0) Put(after);
    return;
  }
  char* const start = Room(text.size() + 4);
  char* p = start;
  if (before != 0) *p++ = before;
  *p++ = '"';
  std::memcpy(p, text.data(), text.size());
  p += text.size();
  *p++ = '"';
  if (after != 0) *p++ = after;
  size_ += static_cast<size_t>(p - start);
}

char JsonWriter::Separator() {
  const char separator = comma_ ? ',' : 0;
  comma_ = true;
  return separator;
}

void JsonWriter::BeforeValue() {
  if (const char separator = Separator(); separator != 0) Put(separator);
}

JsonWriter& JsonWriter::Open(char bracket) {
  BeforeValue();
  Put(bracket);
  comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::Close(char bracket) {
  Put(bracket);
  comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  Quoted(Separator(), key, ':');
  comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  Quoted(Separator(), value, 0);
  return *this;
}

JsonWriter& JsonWriter::Members(std::string_view members) {
  if (members.empty()) return *this;
  BeforeValue();
  Put(members);
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  Put("null");
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  Put(value ? std::string_view("true") : std::string_view("false"));
  return *this;
}

JsonWriter& JsonWriter::Number(double value) { return Value(json(value)); }

JsonWriter& JsonWriter::Value(const json& value) {
  // Containers, strings and whole numbers are written here: a serializer costs an allocation
  // and a locale lookup each time it is made, more than writing a small member. Floating-point
  // numbers (and binary, which JSON text never holds) keep the serializer's text.
  switch (value.type()) {
    case json::value_t::object:
      BeginObject();
      for (const auto& [key, member] : value.get_ref<const json::object_t&>()) {
        Key(key).Value(member);
      }
      return EndObject();
    case json::value_t::array:
      BeginArray();
      for (const auto& element : value) Value(element);
      return EndArray();
    case json::value_t::string:
      return String(value.get_ref<const std::string&>());
    case json::value_t::boolean:
      return Bool(value.get<bool>());
    case json::value_t::null:
      return Null();
    case json::value_t::number_integer: {
      BeforeValue();
      const fmt::format_int digits(value.get<int64_t>());
      Put(std::string_view(digits.data(), digits.size()));
      return *this;
    }
    case json::value_t::number_unsigned: {
      BeforeValue();
      const fmt::format_int digits(value.get<uint64_t>());
      Put(std::string_view(digits.data(), digits.size()));
      return *this;
    }
    default:
      BeforeValue();
      Put(DumpText(value));
      return *this;
  }
}

}  // namespace prereg
