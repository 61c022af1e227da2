#include "prereg/actions/event.h"

#include <arpa/inet.h>

#include <initializer_list>

#include <fmt/format.h>

#include "prereg/actions/json.h"

namespace prereg {

namespace {

const nlohmann::json* Field(const nlohmann::json& obj, const char* name) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

Status CheckObject(const nlohmann::json* v, const std::string& path, bool null_ok = false) {
  if (v == nullptr || v->is_object() || (null_ok && v->is_null())) return Status::OK();
  return Status::InvalidArgument(fmt::format("{} must be an object", path));
}

Status CheckStrings(const nlohmann::json* obj, const std::string& path,
                    std::initializer_list<const char*> names) {
  if (obj == nullptr) return Status::OK();
  for (const char* name : names) {
    const auto* v = Field(*obj, name);
    if (v != nullptr && !v->is_string()) {
      return Status::InvalidArgument(fmt::format("{}.{} must be a string", path, name));
    }
  }
  return Status::OK();
}

// request.ip, when given as a non-empty string, is an IPv4 address in dotted-quad form or an IPv6
// address (inet_pton's forms: no leading zeros, no fewer than four IPv4 parts). Empty is taken as
// unknown: the front doors pass on what the platform sent, which may be nothing. The value is not
// quoted back.
Status CheckIp(const nlohmann::json* request) {
  const auto* ip = request != nullptr ? Field(*request, "ip") : nullptr;
  if (ip == nullptr || !ip->is_string()) return Status::OK();  // the type is CheckStrings'
  const auto& text = ip->get_ref<const std::string&>();
  if (text.empty()) return Status::OK();
  unsigned char address[16];
  if (text.size() <= 45 && text.find('\0') == std::string::npos &&
      (::inet_pton(AF_INET, text.c_str(), address) == 1 ||
       ::inet_pton(AF_INET6, text.c_str(), address) == 1)) {
    return Status::OK();
  }
  return Status::InvalidArgument(
      "event.request.ip must be an IPv4 address (four numbers 0-255: 203.0.113.7) or an IPv6 "
      "address");
}

}  // namespace

Status CheckEvent(const nlohmann::json& event) {
  if (!event.is_object()) return Status::InvalidArgument("the event must be a JSON object");
  const auto* user = Field(event, "user");
  const auto* request = Field(event, "request");
  const auto* connection = Field(event, "connection");
  const auto* tenant = Field(event, "tenant");
  const auto* transaction = Field(event, "transaction");
  for (Status s : {
           CheckObject(user, "event.user"),
           CheckObject(Field(event.value("user", nlohmann::json()), "app_metadata"),
                       "event.user.app_metadata", true),
           CheckObject(Field(event.value("user", nlohmann::json()), "user_metadata"),
                       "event.user.user_metadata", true),
           CheckObject(request, "event.request"),
           CheckObject(request ? Field(*request, "body") : nullptr, "event.request.body"),
           CheckObject(request ? Field(*request, "geoip") : nullptr, "event.request.geoip"),
           CheckObject(connection, "event.connection"),
           CheckObject(tenant, "event.tenant"),
           CheckObject(transaction, "event.transaction", true),
           CheckStrings(request, "event.request", {"ip", "language"}),
           CheckIp(request),
           CheckStrings(request ? Field(*request, "body") : nullptr, "event.request.body",
                        {"password"}),
           CheckStrings(connection, "event.connection", {"id", "name", "strategy"}),
           CheckStrings(tenant, "event.tenant", {"id"}),
           CheckStrings(transaction, "event.transaction", {"locale"}),
       }) {
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Result<nlohmann::json> ParseEvent(std::string_view text) {
  auto event = ParseJson(text, "the event");
  if (!event.ok()) return event;
  if (Status s = CheckEvent(event.value()); !s.ok()) return s;
  return event;
}

}  // namespace prereg
