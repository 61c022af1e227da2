#include "prereg/adapters/flow_loader.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "prereg/actions/json.h"
#include "prereg/adapters/asio_scheduler.h"
#include "prereg/adapters/script_step.h"

namespace prereg::adapters {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

Result<std::string> ReadFile(const std::string& path, const char* what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::NotFound(fmt::format("{} {} does not exist", what, path));
  if (fs::is_directory(path, ec)) {
    return Status::InvalidArgument(fmt::format("{} {} is a directory", what, path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(fmt::format("cannot read {} {}", what, path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<StepSpec> ScriptStepSpec(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return Status::NotFound(fmt::format("step script {} does not exist", path));
  }
  fs::path abs = fs::weakly_canonical(fs::absolute(path), ec);
  return StepSpec{abs.stem().string(), abs.string(), {}, std::nullopt};
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
  auto text = ReadFile(path, "flow file");
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
                                    const std::map<std::string, std::string>& secrets) {
  if (args.empty()) return Status::InvalidArgument("give at least one STEP (a .js file or a flow file)");
  FlowSpec spec;
  for (const auto& arg : args) {
    const auto ext = fs::path(arg).extension().string();
    if (ext == ".json") {
      auto flow = ReadFlowFile(arg);
      if (!flow.ok()) return flow.status();
      if (flow.value().timeout_ms) spec.timeout_ms = flow.value().timeout_ms;
      for (auto& s : flow.value().steps) spec.steps.push_back(std::move(s));
    } else if (ext == ".js" || ext == ".cjs") {
      auto step = ScriptStepSpec(arg);
      if (!step.ok()) return step.status();
      spec.steps.push_back(std::move(step).value());
    } else {
      return Status::InvalidArgument(fmt::format(
          "STEP {} is neither a script (.js) nor a flow file (.json)", arg));
    }
  }
  for (auto& step : spec.steps) {
    for (const auto& [name, value] : secrets) step.secrets.emplace(name, value);
  }
  return spec;
}

namespace {

// Loads every step's script at once (each in workers of its own), then builds the flow; when
// several fail, the earliest step's error is reported.
struct FlowBuild : std::enable_shared_from_this<FlowBuild> {
  FlowSpec spec;
  FlowOptions options;
  NodePool* pool;
  uint64_t generation;
  std::function<void(Result<std::unique_ptr<Flow>>)> done;
  std::vector<std::optional<Result<std::shared_ptr<ScriptWorkers>>>> loads;
  size_t pending = 0;

  void Start() {
    loads.resize(spec.steps.size());
    pending = spec.steps.size();
    for (size_t i = 0; i < spec.steps.size(); ++i) {
      const auto& step = spec.steps[i];
      pool->LoadScriptAsync(step.script, generation, step.secrets,
                            [self = shared_from_this(), i](Result<std::shared_ptr<ScriptWorkers>> r) {
                              self->loads[i] = std::move(r);
                              if (--self->pending == 0) self->Finish();
                            });
    }
  }

  void Finish() {
    for (auto& load : loads) {
      if (!load->ok()) return done(load->status());
    }
    auto flow = std::make_unique<Flow>(std::move(options));
    for (size_t i = 0; i < spec.steps.size(); ++i) {
      const auto& s = spec.steps[i];
      auto step = std::make_shared<ScriptStep>(loads[i]->value(), s.script, generation);
      flow->Add(StepConfig{s.name, std::move(step), s.secrets, s.timeout_ms});
    }
    done(std::move(flow));
  }
};

}  // namespace

void BuildFlowAsync(const FlowSpec& spec, FlowOptions options, NodePool* pool, uint64_t generation,
                    std::function<void(Result<std::unique_ptr<Flow>>)> done) {
  auto build = std::make_shared<FlowBuild>();
  build->spec = spec;
  build->options = std::move(options);
  build->pool = pool;
  build->generation = generation;
  build->done = std::move(done);
  if (build->spec.steps.empty()) return build->Finish();
  build->Start();
}

Result<std::unique_ptr<Flow>> BuildFlow(const FlowSpec& spec, FlowOptions options,
                                        NodePool* pool, uint64_t generation) {
  std::optional<Result<std::unique_ptr<Flow>>> result;
  BuildFlowAsync(spec, std::move(options), pool, generation,
                 [&result](Result<std::unique_ptr<Flow>> r) { result = std::move(r); });
  if (!RunUntil(pool->io(), [&result] { return result.has_value(); })) return Status::Internal("the event loop stopped while loading the flow");
  return std::move(*result);
}

}  // namespace prereg::adapters
