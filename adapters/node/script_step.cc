// Replays what the runner reports through the engine's Api and the Hook adapter, in order.

#include "prereg/adapters/script_step.h"

#include <fmt/format.h>

#include "prereg/hooks/hook.h"

namespace prereg::adapters {

namespace {

using json = nlohmann::json;

constexpr const char* kActionPending =
    "the Action had not finished (a long loop, or a promise that never settles)";

std::vector<Value> DecodeArgs(const json& call) {
  std::vector<Value> args;
  auto it = call.find("a");
  if (it == call.end() || !it->is_array()) return args;
  for (const auto& a : *it) args.push_back(DecodeValue(a));
  return args;
}

hooks::CallbackArgs DecodeCallback(const json& call) {
  hooks::CallbackArgs args;
  const auto& e = call.contains("e") ? call["e"] : json::object();
  if (e.value("t", false)) {
    args.error.truthy = true;
    args.error.is_pre_user_registration_error = e.value("pur", false);
    args.error.message = e.value("message", "");
    if (e.contains("friendly") && e["friendly"].is_string()) {
      args.error.friendly_message = e["friendly"].get<std::string>();
    }
  }
  args.response = call.contains("r") ? DecodeValue(call["r"]) : Value();
  return args;
}

// Applies the calls a script made, in order. Returns the result of the last API call.
json ApplyCalls(const json& calls, StepRun& run, hooks::CallbackGate* gate) {
  json last;
  if (!calls.is_array()) return last;
  for (const auto& call : calls) {
    const auto m = call.value("m", "");
    if (m == "log") {
      run.api().Log(call.value("line", ""));
    } else if (m == "cb" && gate != nullptr) {
      gate->OnCallback(DecodeCallback(call));
    } else if (m == "throw" && gate != nullptr) {
      gate->OnThrow(call.value("message", ""));
    } else if (auto method = ParseApiMethod(m)) {
      last = run.api().Invoke(*method, DecodeArgs(call));
    }
  }
  return last;
}

}  // namespace

Value DecodeValue(const json& wire) {
  if (!wire.is_object()) return Value();
  if (auto j = wire.find("j"); j != wire.end()) return Value(*j);
  const auto kind = wire.value("k", "undefined");
  if (kind == "function") return Value::OfKind(Value::Kind::kFunction);
  if (kind == "symbol") return Value::OfKind(Value::Kind::kSymbol);
  if (kind == "bigint") return Value::OfKind(Value::Kind::kBigInt);
  if (kind == "nonfinite") return Value::OfKind(Value::Kind::kNonFinite);
  if (kind == "cycle") return Value::OfKind(Value::Kind::kCycle);
  return Value();
}

void ScriptStep::Start(std::shared_ptr<StepRun> run) {
  json request = {{"t", "exec"}, {"script", script_}, {"gen", generation_}, {"kind", StepKindName(kind_)}};
  std::shared_ptr<hooks::CallbackGate> gate;
  if (kind_ == StepKind::kHook) {
    request["user"] = hooks::ProjectUser(run->event(), run->password());
    request["context"] = hooks::ProjectContext(run->event());
    gate = std::make_shared<hooks::CallbackGate>(run);
  } else {
    run->set_waiting_on(kActionPending);
  }
  std::string text = request.dump(-1, ' ', false, json::error_handler_t::replace);
  if (kind_ == StepKind::kAction) {  // the event is serialised in place, not copied first
    text.pop_back();
    text += ",\"event\":";
    text += run->event().dump(-1, ' ', false, json::error_handler_t::replace);
    text += '}';
  }
  auto jobs = jobs_;
  const StepRun* key = run.get();
  JobCallbacks callbacks;
  callbacks.on_sync = [run, gate](const json& msg) -> json {
    if (run->ended()) return nullptr;
    ApplyCalls(msg.value("calls", json::array()), *run, gate.get());
    return ApplyCalls(json::array({msg.value("call", json::object())}), *run, gate.get());
  };
  callbacks.on_done = [run, gate, jobs, key](const json& msg) {
    jobs->erase(key);
    if (run->ended()) return;
    ApplyCalls(msg.value("calls", json::array()), *run, gate.get());
    const auto end = msg.value("end", json::object());
    const bool threw = end.value("kind", "") == "threw";
    const auto message = end.value("message", "");
    if (gate) {
      // A Hook ends with its first cb or throw, which ApplyCalls gave the gate; a load error
      // reported at execution time reaches it here.
      if (!gate->called()) {
        gate->OnThrow(threw ? message : "the Hook finished without calling cb");
      }
      return;
    }
    run->Finish(threw ? StepEnd::Threw(message) : StepEnd::Returned());
  };
  callbacks.on_failure = [run, jobs, key](const std::string& message, bool platform) {
    jobs->erase(key);
    run->Finish(platform ? StepEnd::PlatformError(message) : StepEnd::Threw(message));
  };
  (*jobs)[key] = pool_->Submit(std::move(text), std::move(callbacks));
}

void ScriptStep::Cancel(const std::shared_ptr<StepRun>& run) {
  auto it = jobs_->find(run.get());
  if (it == jobs_->end()) return;
  const uint64_t job = it->second;
  jobs_->erase(it);
  pool_->Abort(job);
}

}  // namespace prereg::adapters
