#include "prereg/actions/value.h"

namespace prereg {

std::string Value::Describe() const {
  switch (kind_) {
    case Kind::kUndefined: return "undefined";
    case Kind::kFunction: return "a function";
    case Kind::kSymbol: return "a symbol";
    case Kind::kBigInt: return "a BigInt";
    case Kind::kNonFinite: return "a non-finite number";
    case Kind::kCycle: return "an object with a cycle";
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

}  // namespace prereg
