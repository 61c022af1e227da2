#include "prereg/actions/event.h"

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
