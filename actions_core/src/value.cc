#include "prereg/actions/value.h"

#include <fmt/format.h>

#include "prereg/actions/json.h"

namespace prereg {

std::string Value::Describe() const {
  switch (kind_) {
    case Kind::kUndefined: return "undefined";
    case Kind::kFunction: return "a function";
    case Kind::kSymbol: return "a symbol";
    case Kind::kBigInt: return "a BigInt";
    case Kind::kNonFinite: return "a non-finite number";
    case Kind::kCycle: return "an object with a cycle";
    case Kind::kTooLarge:
      return fmt::format("{} of {} bytes{}", too_large_string_ ? "a string" : "a value", bytes_,
                         too_large_string_ ? "" : " as JSON");
    case Kind::kTooDeep:
      return fmt::format("a value nested deeper than {} levels", JsonLimits{}.max_depth);
    case Kind::kLoneSurrogate:
      return "text with a lone UTF-16 surrogate (half a character, e.g. an emoji cut by "
             "slice)";
    case Kind::kJson: break;
  }
  switch (json_.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::object: return "an object";
    default: return "a number";
  }
}

std::string Value::Problem() const {
  switch (kind_) {
    case Kind::kTooLarge: return "too large to pass to the engine";
    case Kind::kTooDeep: return "too deep to pass to the engine";
    case Kind::kLoneSurrogate: return "not valid Unicode";
    default: return "";
  }
}

}  // namespace prereg
