// Replays what the runner reports through the engine's Api and the Hook adapter, in order.

#include "prereg/adapters/script_step.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "prereg/actions/json.h"
#include "prereg/hooks/hook.h"
#include "reply.h"

namespace prereg::adapters {

namespace {

using json = nlohmann::json;

constexpr const char* kActionPending =
    "the Action had not finished (a long loop, or a promise that never settles)";

// Why a step whose report overflowed fails; `limit` is the report's size limit in bytes.
StepEnd Overflowed(size_t limit) {
  return StepEnd::Threw(fmt::format(
      "the step made more API calls and console output than one report to the engine may hold "
      "({} bytes); the calls after that were dropped",
      limit));
}

}  // namespace

void ScriptStep::Start(std::shared_ptr<StepRun> run) {
  // Written straight into the request's text: no tree of the request, the event or the Hook's
  // (user, context) is built only to be dumped.
  JsonWriter request(512);
  request.BeginObject()
      .Key("gen").Value(json(generation_))
      .Key("kind").String(StepKindName(kind()))
      .Key("script").String(script_)
      .Key("t").String("exec");
  std::shared_ptr<hooks::CallbackGate> gate;
  if (kind() == StepKind::kHook) {
    hooks::WriteContext(&request.Key("context"), run->event());
    hooks::WriteUser(&request.Key("user"), run->event(), run->password());
    gate = std::make_shared<hooks::CallbackGate>(run);
  } else {
    request.Key("event").Value(run->event());
    run->set_waiting_on(kActionPending);
  }
  std::string text = std::move(request.EndObject()).Take();
  auto jobs = jobs_;
  const StepRun* key = run.get();
  auto started = std::make_shared<bool>(false);
  const size_t report_limit = workers_->max_report_bytes();
  JobCallbacks callbacks;
  callbacks.on_start = [run, started] {
    *started = true;
    run->MarkStarted();
  };
  callbacks.on_sync = [run, gate, report_limit](const WorkerMessage& msg,
                                                 JobCallbacks::Answer answer) {
    if (run->ended()) return answer(nullptr);
    if (msg.overflow) {
      run->Finish(Overflowed(report_limit));
      return answer(nullptr);
    }
    ApplyCalls(msg.calls, *run, gate.get());
    const auto method = ParseApiMethod(msg.call.method);
    if (!method) return answer(nullptr);
    // A cache store may answer later; the worker waits for it, the event loop does not.
    run->api().InvokeAsync(*method, msg.call.args, std::move(answer));
  };
  callbacks.on_done = [run, gate, jobs, key, report_limit](const WorkerMessage& msg) {
    jobs->erase(key);
    if (run->ended()) return;
    if (msg.overflow) return run->Finish(Overflowed(report_limit));
    ApplyCalls(msg.calls, *run, gate.get());
    if (gate) {
      // A Hook ends with its first cb or throw, which ApplyCalls gave the gate; a load error
      // reported at execution time reaches it here.
      if (!gate->called()) {
        gate->OnThrow(msg.threw ? msg.end_message : "the Hook finished without calling cb");
      }
      return;
    }
    run->Finish(msg.threw ? StepEnd::Threw(msg.end_message) : StepEnd::Returned());
  };
  callbacks.on_failure = [run, jobs, key](const std::string& message, bool platform) {
    jobs->erase(key);
    run->Finish(platform ? StepEnd::PlatformError(message) : StepEnd::Threw(message));
  };
  callbacks.origin = fmt::format("step \"{}\"", run->api().step_name());
  if (!run->trace().empty()) callbacks.origin += ", request " + run->trace();
  std::vector<std::string> secrets;
  const json& given = MemberOf(run->event(), "secrets");
  if (given.is_object()) {
    for (const auto& [name, value] : given.items()) {
      if (value.is_string()) secrets.push_back(value.get<std::string>());
    }
  }
  callbacks.mask = std::make_shared<const SecretMask>(secrets, run->password());
  // The job need not start after the flow's budget has ended: it would only be killed.
  auto& scheduler = run->scheduler();
  const auto start_by =
      ScriptWorkers::Clock::now() +
      std::chrono::microseconds(std::max<int64_t>(0, run->flow_deadline_us() - scheduler.NowMicros()));
  (*jobs)[key] = workers_->Submit(std::move(text), std::move(callbacks), start_by);
  if (!*started) run->MarkQueued("a Node worker");
}

void ScriptStep::Cancel(const std::shared_ptr<StepRun>& run) {
  auto it = jobs_->find(run.get());
  if (it == jobs_->end()) return;
  const uint64_t job = it->second;
  jobs_->erase(it);
  workers_->Abort(job);
}

}  // namespace prereg::adapters
