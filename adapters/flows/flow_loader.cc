#include "prereg/adapters/flow_loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"
#include "prereg/actions/json.h"
#include "prereg/adapters/tenant_export.h"

#include "files.h"

namespace prereg::adapters {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr size_t kMaxFlowFileBytes = 16 * 1024 * 1024;

Result<StepSpec> ScriptStepSpec(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return Status::NotFound(fmt::format("step script {} does not exist", path));
  }
  fs::path abs = fs::weakly_canonical(fs::absolute(path), ec);
  return StepSpec{abs.stem().string(), abs.string(), {}, std::nullopt, std::nullopt};
}

Status CheckTimeout(const json& v, const std::string& where, std::optional<int64_t>* out) {
  if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
    return Status::InvalidArgument(fmt::format("{} must be a positive whole number of ms", where));
  }
  *out = v.get<int64_t>();
  return Status::OK();
}

}  // namespace

Result<std::pair<std::string, std::string>> ParseSecret(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument(
        fmt::format("--secret takes NAME=VALUE, got \"{}\"", text));
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

Result<FlowSpec> ReadFlowFile(const std::string& path) {
  auto text = ReadBoundedFile(path, "flow file", kMaxFlowFileBytes);
  if (!text.ok()) return text.status();
  return ParseFlowFile(text.value(), path);
}

Result<FlowSpec> ParseFlowFile(std::string_view text, const std::string& path) {
  auto parsed = ParseJson(text, fmt::format("flow file {}", path));
  if (!parsed.ok()) return parsed.status();
  const json doc = std::move(parsed).value();
  auto where = [&path](const std::string& field) { return fmt::format("{}: {}", path, field); };
  if (!doc.is_object()) return Status::InvalidArgument(where("the flow must be a JSON object"));
  FlowSpec spec;
  for (const auto& [key, value] : doc.items()) {
    if (key == "timeout_ms") {
      if (Status s = CheckTimeout(value, where("timeout_ms"), &spec.timeout_ms); !s.ok()) return s;
    } else if (key != "steps") {
      return Status::InvalidArgument(where(fmt::format("unknown field \"{}\"", key)));
    }
  }
  const auto steps = doc.find("steps");
  if (steps == doc.end() || !steps->is_array() || steps->empty()) {
    return Status::InvalidArgument(where("\"steps\" must be a non-empty array"));
  }
  const fs::path base = fs::absolute(path).parent_path();
  for (size_t i = 0; i < steps->size(); ++i) {
    const auto& step = (*steps)[i];
    const auto at = [&](const std::string& field) {
      return where(fmt::format("steps[{}]{}", i, field.empty() ? "" : "." + field));
    };
    if (!step.is_object()) return Status::InvalidArgument(at("") + " must be an object");
    if (!step.contains("script") || !step["script"].is_string()) {
      return Status::InvalidArgument(at("script") + " must be a string (a path to a .js file)");
    }
    auto spec_step = ScriptStepSpec((base / step["script"].get<std::string>()).string());
    if (!spec_step.ok()) return Status::NotFound(at("script") + ": " + spec_step.status().message());
    StepSpec s = std::move(spec_step).value();
    for (const auto& [key, value] : step.items()) {
      if (key == "script") continue;
      if (key == "name") {
        if (!value.is_string() || value.get<std::string>().empty()) {
          return Status::InvalidArgument(at("name") + " must be a non-empty string");
        }
        s.name = value.get<std::string>();
      } else if (key == "secrets") {
        if (!value.is_object()) return Status::InvalidArgument(at("secrets") + " must be an object");
        for (const auto& [name, secret] : value.items()) {
          if (!secret.is_string()) {
            return Status::InvalidArgument(at("secrets." + name) + " must be a string");
          }
          s.secrets[name] = secret.get<std::string>();
        }
      } else if (key == "timeout_ms") {
        if (Status st = CheckTimeout(value, at("timeout_ms"), &s.timeout_ms); !st.ok()) return st;
      } else {
        return Status::InvalidArgument(at("") + fmt::format(": unknown field \"{}\"", key));
      }
    }
    spec.steps.push_back(std::move(s));
  }
  return spec;
}

Result<FlowSpec> ParseStepArguments(const std::vector<std::string>& args,
                                    const SourceOptions& options) {
  if (args.empty()) {
    return Status::InvalidArgument(
        "give at least one STEP (a .js file, a flow file or a tenant export)");
  }
  FlowSpec spec;
  for (const auto& arg : args) {
    const auto ext = fs::path(arg).extension().string();
    if (IsTenantExport(arg)) {
      auto flow = ExportFlowSpec(arg, options);
      if (!flow.ok()) return flow.status();
      for (auto& s : flow.value().steps) spec.steps.push_back(std::move(s));
      for (auto& w : flow.value().warnings) spec.warnings.push_back(std::move(w));
      continue;
    }
    FlowSpec own;
    if (ext == ".json") {
      auto flow = ReadFlowFile(arg);
      if (!flow.ok()) return flow.status();
      own = std::move(flow).value();
      if (own.timeout_ms) spec.timeout_ms = own.timeout_ms;
    } else if (ext == ".js" || ext == ".cjs") {
      auto step = ScriptStepSpec(arg);
      if (!step.ok()) return step.status();
      own.steps.push_back(std::move(step).value());
    } else {
      return Status::InvalidArgument(fmt::format(
          "STEP {} is neither a script (.js), a flow file (.json) nor a tenant export (a .yaml "
          "file or an export folder)", arg));
    }
    for (auto& step : own.steps) {
      for (const auto& [name, value] : options.secrets) step.secrets.emplace(name, value);
      spec.steps.push_back(std::move(step));
    }
  }
  for (const auto& step : spec.steps) {
    for (const auto& [name, value] : step.secrets) {
      if (value.empty() || value.size() >= kMinMaskedSecretChars) continue;
      spec.warnings.push_back(fmt::format(
          "step \"{}\": secret {} is shorter than {} characters, so it is not masked in logs, "
          "denials and errors (masking it would garble them)",
          step.name, name, kMinMaskedSecretChars));
    }
  }
  return spec;
}

}  // namespace prereg::adapters
