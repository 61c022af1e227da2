#include "prereg/migration/compare.h"

#include <set>
#include <sstream>

namespace prereg::migration {

namespace {

using json = nlohmann::json;

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream s(path);
  for (std::string part; std::getline(s, part, '.');) parts.push_back(part);
  return parts;
}

void Remove(json* node, const std::vector<std::string>& parts, size_t i) {
  if (i >= parts.size()) return;
  const bool last = i + 1 == parts.size();
  if (node->is_object()) {
    if (parts[i] == "*") {
      if (last) {
        node->clear();
        return;
      }
      for (auto& [k, v] : node->items()) Remove(&v, parts, i + 1);
      return;
    }
    auto it = node->find(parts[i]);
    if (it == node->end()) return;
    if (last) {
      node->erase(it);
    } else {
      Remove(&*it, parts, i + 1);
    }
  } else if (node->is_array() && parts[i] == "*") {
    if (last) {
      node->clear();
      return;
    }
    for (auto& v : *node) Remove(&v, parts, i + 1);
  }
}

void Diff(const json& a, const json& b, const std::string& path, std::vector<FieldDiff>* out) {
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : a.items()) keys.insert(k);
    for (const auto& [k, v] : b.items()) keys.insert(k);
    for (const auto& k : keys) {
      const auto sub = path.empty() ? k : path + "." + k;
      Diff(a.contains(k) ? a[k] : json(), b.contains(k) ? b[k] : json(), sub, out);
    }
    return;
  }
  if (a != b) out->push_back(FieldDiff{path, a, b});
}

}  // namespace

bool RemovePath(json* doc, const std::string& path) {
  auto parts = Split(path);
  if (parts.empty()) return false;
  for (const auto& p : parts) {
    if (p.empty()) return false;
  }
  Remove(doc, parts, 0);
  return true;
}

json NormalizeRecord(const DecisionRecord& record, const std::vector<std::string>& ignore) {
  json out = {{"outcome", OutcomeName(record.outcome)}};
  if (record.outcome == Outcome::kDeny && record.denial) {
    const auto& d = record.denial->denial;
    out["denial"] = {
        {"kind", d.kind == Denial::Kind::kAccessDenied ? "access_denied" : "validation_error"},
        {"reason", d.reason},
        {"user_message", d.user_message ? json(*d.user_message) : json(nullptr)}};
  }
  if (record.outcome == Outcome::kError && record.error) {
    out["error"] = {{"class", ErrorClassName(record.error->error_class)}};
  }
  if (record.outcome == Outcome::kAllow) {
    out["user"] = {{"user_id", record.user_id ? json(*record.user_id) : json(nullptr)},
                   {"app_metadata", record.app_metadata},
                   {"user_metadata", record.user_metadata}};
  }
  for (const auto& path : ignore) RemovePath(&out, path);
  return out;
}

std::vector<FieldDiff> DiffRecords(const json& old_record, const json& new_record) {
  std::vector<FieldDiff> out;
  Diff(old_record, new_record, "", &out);
  return out;
}

}  // namespace prereg::migration
