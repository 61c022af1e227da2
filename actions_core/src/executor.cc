// The flow executor (SPEC §2).
//
// One FlowExecution per execution, owned by the callbacks it hands out. It runs one step at a
// time: builds the step's event and Api, sets one timer for the step's deadline (the earlier of
// the flow's and the step's budget), starts the step, and on the step's end decides what
// follows. A step that waits for a resource (MarkQueued) has only the flow's deadline until it
// starts: waiting is not the step's fault, so its own budget starts when it runs. Within a step an error outranks a deny; a deny stops the flow after the step; a
// step's metadata changes become visible to later steps only after it returned cleanly.

#include "prereg/actions/executor.h"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "metadata_rules.h"
#include "prereg/actions/event.h"

namespace prereg {

namespace {

class FlowExecution : public std::enable_shared_from_this<FlowExecution> {
 public:
  FlowExecution(const Flow& flow, nlohmann::json event, Scheduler* scheduler,
                std::function<void(DecisionRecord)> done, std::string trace,
                std::optional<int64_t> budget_ms)
      : flow_(flow),
        budget_ms_(budget_ms && *budget_ms < flow.options().timeout_ms ? *budget_ms
                                                                        : flow.options().timeout_ms),
        scheduler_(scheduler),
        done_(std::move(done)),
        trace_(std::move(trace)),
        event_(std::move(event)),
        log_budget_(flow.options().max_log_bytes) {}

  void Start() {
    PrepareEvent();
    for (const auto& cfg : flow_.steps()) {
      record_.steps.push_back(StepReport{cfg.name, cfg.step->kind(), StepStatus::kSkipped, 0, {}});
    }
    start_us_ = scheduler_->NowMicros();
    flow_deadline_us_ = start_us_ + budget_ms_ * 1000;
    auto self = shared_from_this();
    scheduler_->Post([self] { self->RunStep(); });
  }

 private:
  // The password leaves the event Actions see (SPEC §4); `secrets` is filled per step.
  void PrepareEvent() {
    event_.erase("secrets");
    auto tenant = event_.find("tenant");
    cache_scope_ = CacheScope(tenant != event_.end() && tenant->is_object()
                                  ? tenant->value("id", std::string())
                                  : std::string());
    auto& user = event_["user"];
    if (!user.is_object()) user = nlohmann::json::object();
    for (const char* m : {"app_metadata", "user_metadata"}) {
      if (!user.contains(m) || user[m].is_null()) user[m] = nlohmann::json::object();
    }
    auto request = event_.find("request");
    if (request != event_.end() && request->contains("body")) {
      auto& body = (*request)["body"];
      if (body.contains("password")) {
        password_ = body["password"].get<std::string>();
        body.erase("password");
      }
    }
  }

  void RunStep() {
    if (index_ == flow_.steps().size()) return FinishAllow();
    const auto& cfg = flow_.steps()[index_];
    // The step borrows the event (OnStepEnd takes it back): no copy per step.
    nlohmann::json step_event = std::move(event_);
    step_event["secrets"] = cfg.secrets;
    auto api = std::make_unique<Api>(cfg.name, &flow_.cache(), scheduler_,
                                     &flow_.options().metadata, &log_budget_, cache_scope_);
    auto self = shared_from_this();
    std::weak_ptr<FlowExecution> weak = self;
    StepRun::Progress progress{
        [weak] {
          if (auto e = weak.lock()) e->OnQueued();
        },
        [weak] {
          if (auto e = weak.lock()) e->OnStarted();
        }};
    run_ = std::make_shared<StepRun>(std::move(step_event), password_, std::move(api), scheduler_,
                                     [self](StepEnd end) { self->OnStepEnd(std::move(end), false); },
                                     flow_deadline_us_, std::move(progress));
    run_->set_trace(trace_);
    step_start_us_ = scheduler_->NowMicros();
    waited_us_ = 0;
    ArmDeadline(step_start_us_);
    try {
      cfg.step->Start(run_);
    } catch (const std::exception& e) {
      run_->Finish(StepEnd::PlatformError(fmt::format("the step could not start: {}", e.what())));
    }
  }

  // Sets the step's timer: the flow's deadline, or its own budget from `budget_start` if earlier
  // (no own budget while it waits in a queue).
  void ArmDeadline(std::optional<int64_t> budget_start) {
    const auto& cfg = flow_.steps()[index_];
    int64_t deadline = flow_deadline_us_;
    step_budget_is_own_ = false;
    if (budget_start && cfg.timeout_ms && *budget_start + *cfg.timeout_ms * 1000 < deadline) {
      deadline = *budget_start + *cfg.timeout_ms * 1000;
      step_budget_is_own_ = true;
    }
    if (timer_ != 0) scheduler_->CancelTimer(timer_);
    auto self = shared_from_this();
    timer_ = scheduler_->SetTimer(deadline, [self, run = run_] {
      if (run->Expire()) self->OnStepEnd(StepEnd(), true);
    });
  }

  void OnQueued() {
    queued_since_us_ = scheduler_->NowMicros();
    waited_for_ = run_->queued_for();
    if (step_budget_is_own_) ArmDeadline(std::nullopt);
  }

  void OnStarted() {
    const int64_t now = scheduler_->NowMicros();
    waited_us_ += now - queued_since_us_;
    if (flow_.steps()[index_].timeout_ms) ArmDeadline(now);
  }

  void OnStepEnd(StepEnd end, bool timed_out) {
    const auto& cfg = flow_.steps()[index_];
    if (timed_out) {
      cfg.step->Cancel(run_);
    } else {
      scheduler_->CancelTimer(timer_);
    }
    // The ended run is kept until this returns: its effects are read in place, not copied.
    const std::shared_ptr<StepRun> run = std::move(run_);
    timer_ = 0;
    auto& report = record_.steps[index_];
    report.duration_ms = static_cast<double>(scheduler_->NowMicros() - step_start_us_) / 1000.0;
    report.logs = run->api().logs();
    const StepEffects& effects = run->api().effects();
    const std::string& waiting_on = run->waiting_on();
    const std::string& queued_for = run->queued_for();
    const int64_t waited_ms =
        (waited_us_ + (queued_for.empty() ? 0 : scheduler_->NowMicros() - queued_since_us_)) / 1000;
    event_ = run->ReturnEvent();
    event_.erase("secrets");

    // Every step that ran contributes to `requested`, even one that then failed.
    MergeTopLevelKeepNull(&record_.requested_app_metadata, effects.app_metadata);
    MergeTopLevelKeepNull(&record_.requested_user_metadata, effects.user_metadata);
    if (effects.user_id) record_.requested_user_id = effects.user_id;

    const auto step = fmt::format("step \"{}\"", cfg.name);
    if (timed_out && !queued_for.empty()) {
      return FinishError(ErrorClass::kActionTimeout,
                         fmt::format("{} did not start within the flow's {} ms budget: it waited "
                                     "{} ms in the queue for {}, all busy with other sign-ups",
                                     step, budget_ms_, waited_ms, queued_for));
    }
    if (timed_out) {
      auto budget = step_budget_is_own_
                        ? fmt::format("its {} ms budget", *cfg.timeout_ms)
                        : fmt::format("the flow's {} ms budget", budget_ms_);
      return FinishError(
          ErrorClass::kActionTimeout,
          fmt::format("{} did not finish within {}{}{}", step, budget,
                      waiting_on.empty() ? "" : ": " + waiting_on,
                      waited_ms > 0 ? fmt::format(" (it first waited {} ms for {})", waited_ms,
                                                  waited_for_)
                                    : std::string()));
    }
    if (end.kind == StepEnd::Kind::kThrew) {
      return FinishError(ErrorClass::kActionError, fmt::format("{} failed: {}", step, end.message));
    }
    if (end.kind == StepEnd::Kind::kPlatformError) {
      return FinishError(ErrorClass::kPlatformError,
                         fmt::format("{} could not run: {}", step, end.message));
    }
    if (effects.invalid_call) {
      return FinishError(ErrorClass::kInvalidApiCall,
                         fmt::format("{}: {}", step, *effects.invalid_call));
    }
    auto& user = event_["user"];
    nlohmann::json app = user["app_metadata"];
    nlohmann::json user_md = user["user_metadata"];
    MergeTopLevel(&app, effects.app_metadata);
    MergeTopLevel(&user_md, effects.user_metadata);
    const auto& options = flow_.options().metadata;
    for (auto [kind, changes, merged] :
         {std::tuple(MetadataKind::kApp, &effects.app_metadata, &app),
          std::tuple(MetadataKind::kUser, &effects.user_metadata, &user_md)}) {
      if (changes->empty()) continue;
      if (auto why = CheckMetadataSize(kind, *merged, options)) {
        return FinishError(ErrorClass::kInvalidApiCall, fmt::format("{}: {}", step, *why));
      }
    }
    if (effects.denial) {
      report.status = StepStatus::kDenied;
      record_.outcome = Outcome::kDeny;
      record_.denial = DecisionRecord::DenialInfo{*effects.denial, cfg.name};
      return Finish();
    }
    report.status = StepStatus::kOk;
    user["app_metadata"] = std::move(app);
    user["user_metadata"] = std::move(user_md);
    ++index_;
    RunStep();
  }

  // Aggregates requested changes: last write to a key wins, null (a deletion) is kept.
  static void MergeTopLevelKeepNull(nlohmann::json* target, const nlohmann::json& changes) {
    for (const auto& [k, v] : changes.items()) (*target)[k] = v;
  }

  void FinishAllow() {
    record_.outcome = Outcome::kAllow;
    const auto& user = event_["user"];
    record_.app_metadata = user["app_metadata"];
    record_.user_metadata = user["user_metadata"];
    if (record_.requested_user_id) {
      std::string strategy = "auth0";
      auto connection = event_.find("connection");
      if (connection != event_.end()) {
        auto s = connection->value("strategy", std::string());
        if (!s.empty()) strategy = s;
      }
      record_.user_id = strategy + "|" + *record_.requested_user_id;
    }
    Finish();
  }

  void FinishError(ErrorClass error_class, std::string message) {
    record_.steps[index_].status = StepStatus::kFailed;
    record_.outcome = Outcome::kError;
    record_.error =
        DecisionRecord::ErrorInfo{error_class, std::move(message), flow_.steps()[index_].name};
    Finish();
  }

  void Finish() {
    MaskSecrets();
    auto done = std::move(done_);
    done(std::move(record_));
  }

  // Secret values never appear in logs, denial or error (SPEC §6), nor does the sign-up
  // password a Hook can read. Longest first, so that a value containing another is masked whole.
  void MaskSecrets() {
    std::vector<std::string> secrets;
    for (const auto& cfg : flow_.steps()) {
      for (const auto& [name, value] : cfg.secrets) secrets.push_back(value);
    }
    const SecretMask masks(secrets, password_);
    if (masks.empty()) return;
    auto mask = [&masks](std::string* s) { masks.Apply(s); };
    for (auto& step : record_.steps) {
      for (auto& line : step.logs) mask(&line);
    }
    if (record_.denial) {
      mask(&record_.denial->denial.reason);
      if (record_.denial->denial.user_message) mask(&*record_.denial->denial.user_message);
    }
    if (record_.error) mask(&record_.error->message);
  }

  const Flow& flow_;
  const int64_t budget_ms_;  // the flow's, or a smaller one given for this execution
  Scheduler* const scheduler_;
  std::function<void(DecisionRecord)> done_;
  const std::string trace_;
  nlohmann::json event_;  // as later steps see it: metadata of earlier steps applied
  std::optional<std::string> password_;
  std::string cache_scope_;
  LogBudget log_budget_;
  DecisionRecord record_;
  int64_t start_us_ = 0;
  int64_t flow_deadline_us_ = 0;
  size_t index_ = 0;
  std::shared_ptr<StepRun> run_;
  Scheduler::TimerId timer_ = 0;
  int64_t step_start_us_ = 0;
  int64_t queued_since_us_ = 0;  // while the step waits in a queue (MarkQueued)
  int64_t waited_us_ = 0;        // time the step spent queued before it started
  std::string waited_for_;       // what it was queued for
  bool step_budget_is_own_ = false;
};

}  // namespace

Status ExecuteFlow(const Flow& flow, nlohmann::json event, Scheduler* scheduler,
                   std::function<void(DecisionRecord)> done, std::string trace,
                   std::optional<int64_t> budget_ms) {
  if (Status s = CheckEvent(event); !s.ok()) return s;
  auto execution = std::make_shared<FlowExecution>(flow, std::move(event), scheduler,
                                                   std::move(done), std::move(trace), budget_ms);
  execution->Start();
  return Status::OK();
}

Result<DecisionRecord> RunFlow(const Flow& flow, const nlohmann::json& event) {
  LoopScheduler scheduler;
  std::optional<DecisionRecord> record;
  Status s = ExecuteFlow(flow, event, &scheduler,
                         [&record](DecisionRecord r) { record = std::move(r); });
  if (!s.ok()) return s;
  if (!scheduler.RunUntil([&record] { return record.has_value(); })) {
    return Status::Internal("the flow stopped before reaching a decision");
  }
  return std::move(*record);
}

}  // namespace prereg
