#include "json_fast.h"

#include <cstdint>
#include <string>
#include <utility>

namespace prereg {

namespace {

using json = nlohmann::json;

// What a two-character escape stands for (`c` follows the backslash); 0 for \u, which is left to
// nlohmann, and for anything that is not an escape.
char Unescape(char c) {
  switch (c) {
    case '"':
    case '\\':
    case '/':
      return c;
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    default:
      return 0;
  }
}

// A recursive-descent reader over [p_, end_). Every method returns false at the first thing
// outside the subset; the caller then gives the whole text to nlohmann.
class Reader {
 public:
  Reader(std::string_view text, size_t max_depth)
      : p_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth) {}

  bool Document(json* out) {
    SkipSpace();
    if (!Value(out, 0)) return false;
    SkipSpace();
    return p_ == end_;
  }

 private:
  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // Consumes `c` (after any whitespace) if it is next.
  bool Take(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // `depth`: the arrays and objects open around this value.
  bool Value(json* out, size_t depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return Object(out, depth);
      case '[':
        return Array(out, depth);
      case '"': {
        std::string s;
        if (!String(&s)) return false;
        *out = std::move(s);
        return true;
      }
      case 't':
        *out = true;
        return Literal("true");
      case 'f':
        *out = false;
        return Literal("false");
      case 'n':
        *out = nullptr;
        return Literal("null");
      default:
        return Number(out);
    }
  }

  bool Object(json* out, size_t depth) {
    if (depth >= max_depth_) return false;  // nlohmann's path says how deep, and where
    ++p_;
    *out = json::object();
    if (Take('}')) return true;
    do {
      SkipSpace();
      std::string key;
      if (p_ == end_ || *p_ != '"' || !String(&key) || !Take(':')) return false;
      SkipSpace();
      // As the SAX builder does: the member is made when its key is read, and a later duplicate
      // replaces it.
      if (!Value(&(*out)[std::move(key)], depth + 1)) return false;
    } while (Take(','));
    return Take('}');
  }

  bool Array(json* out, size_t depth) {
    if (depth >= max_depth_) return false;
    ++p_;
    *out = json::array();
    if (Take(']')) return true;
    do {
      SkipSpace();
      json element;
      if (!Value(&element, depth + 1)) return false;
      out->push_back(std::move(element));
    } while (Take(','));
    return Take(']');
  }

  // At the opening quote. Printable ASCII and the two-character escapes; anything else (bytes
  // above 0x7F, which need UTF-8 checks, and \u escapes) is left to nlohmann.
  bool String(std::string* out) {
    ++p_;
    const char* run = p_;
    for (;;) {
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c < 0x20 || c > 0x7f) return false;
      if (c != '\\') {
        ++p_;
        continue;
      }
      out->append(run, p_);
      if (++p_ == end_) return false;
      const char unescaped = Unescape(*p_);
      if (unescaped == 0) return false;
      *out += unescaped;
      run = ++p_;
    }
    out->append(run, p_);
    ++p_;
    return true;
  }

  // Whole numbers of at most 18 digits, which fit either type: nlohmann makes those unsigned,
  // and negative ones (-0 too) signed.
  bool Number(json* out) {
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    const char* digits = p_;
    uint64_t n = 0;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') n = n * 10 + static_cast<uint64_t>(*p_++ - '0');
    const size_t count = static_cast<size_t>(p_ - digits);
    if (count == 0 || count > 18 || (count > 1 && *digits == '0')) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    if (negative) {
      *out = -static_cast<int64_t>(n);
    } else {
      *out = n;
    }
    return true;
  }

  const char* p_;
  const char* const end_;
  const size_t max_depth_;
};

}  // namespace

bool FastParseJson(std::string_view text, size_t max_depth, json* out) {
  return Reader(text, max_depth).Document(out);
}

bool SameJsonTree(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !SameJsonTree(*it, *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameJsonTree(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace prereg
