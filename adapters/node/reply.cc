#include "reply.h"

#include <array>
#include <utility>

#include "prereg/actions/json.h"

namespace prereg::adapters {

namespace {

using json = nlohmann::json;

// An encoded value ({j}, {k}, {k: "large", bytes, string}) as its members arrive.
struct EncodedValue {
  std::optional<json> j;
  Value::Kind kind = Value::Kind::kUndefined;  // from "k"; kTooLarge for "large"
  uint64_t bytes = 0;
  bool string = false;

  // The kind "k" names; undefined for any other name.
  static Value::Kind KindNamed(std::string_view name) {
    static constexpr std::pair<std::string_view, Value::Kind> kKinds[] = {
        {"function", Value::Kind::kFunction},
        {"symbol", Value::Kind::kSymbol},
        {"bigint", Value::Kind::kBigInt},
        {"nonfinite", Value::Kind::kNonFinite},
        {"cycle", Value::Kind::kCycle},
        {"deep", Value::Kind::kTooDeep},
        {"surrogate", Value::Kind::kLoneSurrogate},
        {"large", Value::Kind::kTooLarge}};
    for (const auto& [n, kind] : kKinds) {
      if (n == name) return kind;
    }
    return Value::Kind::kUndefined;
  }

  void Clear() {
    j.reset();
    kind = Value::Kind::kUndefined;
    bytes = 0;
    string = false;
  }

  Value Decode() && {
    if (j) return Value(std::move(*j));
    if (kind == Value::Kind::kTooLarge) return Value::TooLarge(bytes, string);
    return Value::OfKind(kind);
  }
};

// Reads a message from its tokens into a WorkerMessage, as ParseWorkerMessage describes. The
// objects it knows are frames on a stack; what the next value is (a Slot) comes from the key
// before it, or from the array it is in. Values it does not read are skipped whole; a script's
// value ({j: value}) is captured into a tree.
class MessageReader final : public JsonEvents {
 public:
  // A whole message: an object with a string "t".
  bool complete() const { return object_ && has_type_; }
  WorkerMessage Take() && { return std::move(msg_); }

  void Restart() override { *this = MessageReader(); }

  bool null() override {
    if (capture_ > 0) return builder_.null();
    if (skip_ == 0) Scalar(json(nullptr));
    return true;
  }
  bool boolean(bool v) override {
    if (capture_ > 0) return builder_.boolean(v);
    if (skip_ > 0) return true;
    switch (NextSlot()) {
      case Slot::kOverflow:
        msg_.overflow = true;
        break;
      case Slot::kUntracked:
        msg_.untracked = true;
        break;
      case Slot::kTruthy:
        call_->callback.error.truthy = v;
        break;
      case Slot::kPur:
        call_->callback.error.is_pre_user_registration_error = v;
        break;
      case Slot::kIsString:
        value_.string = v;
        break;
      default:
        Scalar(json(v));
    }
    return true;
  }
  bool number_integer(number_integer_t v) override {
    if (capture_ > 0) return builder_.number_integer(v);
    if (skip_ > 0) return true;
    // Below 0 (or -0): no id, count or size.
    if (NextSlot() == Slot::kCode) {
      msg_.code = static_cast<int>(v);
    } else {
      Scalar(json(v));
    }
    return true;
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (capture_ > 0) return builder_.number_unsigned(v);
    if (skip_ > 0) return true;
    switch (NextSlot()) {
      case Slot::kId:
        msg_.id = v;
        break;
      case Slot::kLingering:
        msg_.lingering = v;
        break;
      case Slot::kCode:
        msg_.code = static_cast<int>(v);
        break;
      case Slot::kBytes:
        value_.bytes = v;
        break;
      default:
        Scalar(json(v));
    }
    return true;
  }
  bool number_float(number_float_t v, const string_t& s) override {
    if (capture_ > 0) return builder_.number_float(v, s);
    if (skip_ == 0) Scalar(json(v));
    return true;
  }
  bool string(string_t& v) override {
    if (capture_ > 0) return builder_.string(v);
    if (skip_ > 0) return true;
    switch (NextSlot()) {
      case Slot::kType:
        msg_.type = std::move(v);
        has_type_ = true;
        break;
      case Slot::kError:
        msg_.error = std::move(v);
        break;
      case Slot::kKind:
        msg_.kind = std::move(v);
        break;
      case Slot::kWhat:
        msg_.what = std::move(v);
        break;
      case Slot::kText:
        msg_.text = std::move(v);
        break;
      case Slot::kEndKind:
        msg_.threw = v == "threw";
        break;
      case Slot::kEndMessage:
        msg_.end_message = std::move(v);
        break;
      case Slot::kMethod:
        call_->method = std::move(v);
        break;
      case Slot::kLine:
        call_->line = std::move(v);
        break;
      case Slot::kCallMessage:
        call_->message = std::move(v);
        break;
      case Slot::kErrorMessage:
        call_->callback.error.message = std::move(v);
        break;
      case Slot::kFriendly:
        call_->callback.error.friendly_message = std::move(v);
        break;
      case Slot::kValueKind:
        value_.kind = EncodedValue::KindNamed(v);
        break;
      default:
        Scalar(json(std::move(v)));
    }
    return true;
  }

  bool start_object(std::size_t n) override {
    if (bool ok; Nested(/*object=*/true, n, &ok)) return ok;
    switch (NextSlot()) {
      case Slot::kDocument:
        object_ = true;
        return Push(Frame::kMessage);
      case Slot::kCall:
        call_ = &msg_.call;
        return Push(Frame::kCall);
      case Slot::kCallEntry:
        call_ = &msg_.calls.emplace_back();
        return Push(Frame::kCall);
      case Slot::kCallbackError:
        return Push(Frame::kCallbackError);
      case Slot::kEnd:
        return Push(Frame::kEnd);
      case Slot::kResponse:
        return OpenValue(&call_->callback.response);
      case Slot::kArg:
        return OpenValue(&call_->args.emplace_back());
      case Slot::kJson:
        return Capture() && builder_.start_object(n);
      default:
        skip_ = 1;
        return true;
    }
  }
  bool start_array(std::size_t n) override {
    if (bool ok; Nested(/*object=*/false, n, &ok)) return ok;
    switch (NextSlot()) {
      case Slot::kCalls:
        msg_.calls.reserve(4);  // what a step usually reports: one allocation
        return Push(Frame::kCalls);
      case Slot::kArgs:
        return Push(Frame::kArgs);
      case Slot::kJson:
        return Capture() && builder_.start_array(n);
      case Slot::kArg:
        call_->args.emplace_back();  // not an encoded value: undefined
        [[fallthrough]];
      default:
        skip_ = 1;
        return true;
    }
  }
  bool end_object() override { return End(/*object=*/true); }
  bool end_array() override { return End(/*object=*/false); }

  bool key(string_t& k) override {
    if (capture_ > 0) return builder_.key(k);
    if (skip_ > 0) return true;
    slot_ = Member(frames_[depth_ - 1], k);
    Forget(slot_);
    return true;
  }

 private:
  // The objects and arrays read, as opposed to skipped or captured.
  enum class Frame : uint8_t { kMessage, kCalls, kCall, kArgs, kCallbackError, kEnd, kValue };

  // What the next value is.
  enum class Slot : uint8_t {
    kUnknown,   // a member not read
    kDocument,  // the message itself
    // Members of the message.
    kType,
    kId,
    kCalls,
    kCall,
    kOverflow,
    kUntracked,
    kLingering,
    kEnd,
    kCode,
    kError,
    kKind,
    kWhat,
    kText,
    kCallEntry,  // an element of "calls"
    // Members of a call.
    kMethod,
    kArgs,
    kLine,
    kCallMessage,
    kCallbackError,
    kResponse,
    kArg,  // an element of "a"
    // Members of a call's "e", and of "end".
    kTruthy,
    kPur,
    kErrorMessage,
    kFriendly,
    kEndKind,
    kEndMessage,
    // Members of an encoded value.
    kJson,
    kValueKind,
    kBytes,
    kIsString,
  };

  Slot NextSlot() const {
    if (depth_ == 0) return Slot::kDocument;
    switch (frames_[depth_ - 1]) {
      case Frame::kCalls:
        return Slot::kCallEntry;
      case Frame::kArgs:
        return Slot::kArg;
      default:
        return slot_;
    }
  }

  using Name = std::pair<std::string_view, Slot>;

  template <size_t N>
  static Slot Find(const Name (&names)[N], std::string_view k) {
    for (const auto& [name, slot] : names) {
      if (name == k) return slot;
    }
    return Slot::kUnknown;
  }

  // The slot of member `k` of `frame`.
  static Slot Member(Frame frame, std::string_view k) {
    static constexpr Name kMessage[] = {{"t", Slot::kType},
                                        {"id", Slot::kId},
                                        {"calls", Slot::kCalls},
                                        {"end", Slot::kEnd},
                                        {"call", Slot::kCall},
                                        {"overflow", Slot::kOverflow},
                                        {"lingering", Slot::kLingering},
                                        {"untracked", Slot::kUntracked},
                                        {"code", Slot::kCode},
                                        {"error", Slot::kError},
                                        {"kind", Slot::kKind},
                                        {"what", Slot::kWhat},
                                        {"text", Slot::kText}};
    static constexpr Name kCall[] = {{"m", Slot::kMethod},        {"a", Slot::kArgs},
                                     {"line", Slot::kLine},       {"message", Slot::kCallMessage},
                                     {"e", Slot::kCallbackError}, {"r", Slot::kResponse}};
    static constexpr Name kCallbackError[] = {{"t", Slot::kTruthy},
                                              {"pur", Slot::kPur},
                                              {"message", Slot::kErrorMessage},
                                              {"friendly", Slot::kFriendly}};
    static constexpr Name kEnd[] = {{"kind", Slot::kEndKind}, {"message", Slot::kEndMessage}};
    static constexpr Name kValue[] = {{"j", Slot::kJson},
                                      {"k", Slot::kValueKind},
                                      {"bytes", Slot::kBytes},
                                      {"string", Slot::kIsString}};
    switch (frame) {
      case Frame::kMessage:
        return Find(kMessage, k);
      case Frame::kCall:
        return Find(kCall, k);
      case Frame::kCallbackError:
        return Find(kCallbackError, k);
      case Frame::kEnd:
        return Find(kEnd, k);
      case Frame::kValue:
        return Find(kValue, k);
      default:  // arrays have no keys
        return Slot::kUnknown;
    }
  }

  // Forgets what the member of `slot` held: of a duplicated member the last counts, whatever its
  // type.
  void Forget(Slot slot) {
    switch (slot) {
      case Slot::kType:
        has_type_ = false;
        msg_.type.clear();
        break;
      case Slot::kId:
        msg_.id = 0;
        break;
      case Slot::kCalls:
        msg_.calls.clear();
        break;
      case Slot::kCall:
        msg_.call = ReportedCall();
        break;
      case Slot::kEnd:
        msg_.threw = false;
        msg_.end_message.clear();
        break;
      case Slot::kOverflow:
        msg_.overflow = false;
        break;
      case Slot::kLingering:
        msg_.lingering = 0;
        break;
      case Slot::kUntracked:
        msg_.untracked = false;
        break;
      case Slot::kCode:
        msg_.code = 0;
        break;
      case Slot::kError:
        msg_.error.reset();
        break;
      case Slot::kKind:
        msg_.kind.clear();
        break;
      case Slot::kWhat:
        msg_.what.clear();
        break;
      case Slot::kText:
        msg_.text.clear();
        break;
      case Slot::kMethod:
        call_->method.clear();
        break;
      case Slot::kArgs:
        call_->args.clear();
        break;
      case Slot::kLine:
        call_->line.clear();
        break;
      case Slot::kCallMessage:
        call_->message.clear();
        break;
      case Slot::kCallbackError:
        call_->callback.error = hooks::CallbackError();
        break;
      case Slot::kResponse:
        call_->callback.response = Value();
        break;
      case Slot::kTruthy:
        call_->callback.error.truthy = false;
        break;
      case Slot::kPur:
        call_->callback.error.is_pre_user_registration_error = false;
        break;
      case Slot::kErrorMessage:
        call_->callback.error.message.clear();
        break;
      case Slot::kFriendly:
        call_->callback.error.friendly_message.reset();
        break;
      case Slot::kEndKind:
        msg_.threw = false;
        break;
      case Slot::kEndMessage:
        msg_.end_message.clear();
        break;
      case Slot::kJson:
        value_.j.reset();
        break;
      case Slot::kValueKind:
        value_.kind = Value::Kind::kUndefined;
        break;
      case Slot::kBytes:
        value_.bytes = 0;
        break;
      case Slot::kIsString:
        value_.string = false;
        break;
      default:
        break;
    }
  }

  // A scalar that none of the slots above takes as it is: a script's value, or an element of
  // "a" that is not an encoded value (undefined). Anywhere else it is not read.
  void Scalar(json v) {
    const Slot s = NextSlot();
    if (s == Slot::kJson) {
      value_.j = std::move(v);
    } else if (s == Slot::kArg) {
      call_->args.emplace_back();
    }
  }

  // An opening bracket inside a value being captured or skipped: counted, and given to the
  // builder when captured, with `ok` its answer. False when the bracket is the reader's own.
  bool Nested(bool object, std::size_t n, bool* ok) {
    if (capture_ > 0) {
      ++capture_;
      *ok = object ? builder_.start_object(n) : builder_.start_array(n);
      return true;
    }
    if (skip_ > 0) {
      ++skip_;
      *ok = true;
      return true;
    }
    return false;
  }

  bool Push(Frame frame) {
    if (depth_ == frames_.size()) {  // cannot happen: no frame holds itself
      skip_ = 1;
      return true;
    }
    frames_[depth_++] = frame;
    return true;
  }

  bool OpenValue(Value* target) {
    value_.Clear();
    value_target_ = target;
    return Push(Frame::kValue);
  }

  bool Capture() {
    builder_.Restart();
    capture_ = 1;
    return true;
  }

  bool End(bool object) {
    if (capture_ > 0) {
      if (!(object ? builder_.end_object() : builder_.end_array())) return false;
      if (--capture_ == 0) value_.j = std::move(builder_.root());
      return true;
    }
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    const Frame frame = frames_[--depth_];
    if (frame == Frame::kValue) {
      *value_target_ = std::move(value_).Decode();
    } else if (frame == Frame::kCallbackError && !call_->callback.error.truthy) {
      call_->callback.error = hooks::CallbackError();  // a falsy error is no error
    }
    return true;
  }

  WorkerMessage msg_;
  bool object_ = false;
  bool has_type_ = false;
  std::array<Frame, 8> frames_{};
  size_t depth_ = 0;
  Slot slot_ = Slot::kUnknown;     // the slot of the last key read
  ReportedCall* call_ = nullptr;   // the innermost call open
  EncodedValue value_;             // the encoded value open
  Value* value_target_ = nullptr;  // where it goes when it closes
  size_t skip_ = 0;                // > 0: inside a value not read, this many levels deep
  size_t capture_ = 0;             // > 0: inside a script's value, this many levels deep
  JsonTreeBuilder builder_;        // ... which it builds
};

json DescribeValue(const Value& v) {
  if (v.is_json()) return {{"j", v.json()}};
  return {{"kind", static_cast<int>(v.kind())},
          {"bytes", v.bytes()},
          {"string", v.is_too_large_string()}};
}

json DescribeCall(const ReportedCall& call) {
  json args = json::array();
  for (const auto& a : call.args) args.push_back(DescribeValue(a));
  const auto& e = call.callback.error;
  return {{"m", call.method},
          {"a", std::move(args)},
          {"line", call.line},
          {"message", call.message},
          {"e",
           {{"t", e.truthy},
            {"pur", e.is_pre_user_registration_error},
            {"message", e.message},
            {"friendly", e.friendly_message ? json(*e.friendly_message) : json()}}},
          {"r", DescribeValue(call.callback.response)}};
}

}  // namespace

json DescribeMessage(const WorkerMessage& msg) {
  json calls = json::array();
  for (const auto& c : msg.calls) calls.push_back(DescribeCall(c));
  return {{"t", msg.type},
          {"id", msg.id},
          {"calls", std::move(calls)},
          {"call", DescribeCall(msg.call)},
          {"overflow", msg.overflow},
          {"threw", msg.threw},
          {"end_message", msg.end_message},
          {"lingering", msg.lingering},
          {"untracked", msg.untracked},
          {"error", msg.error ? json(*msg.error) : json()},
          {"kind", msg.kind},
          {"what", msg.what},
          {"text", msg.text},
          {"code", msg.code}};
}

const json& MemberOf(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

Result<WorkerMessage> ParseWorkerMessage(std::string_view line) {
  MessageReader reader;
  auto status = ParseJsonEvents(line, "the line",
                                JsonLimits{JsonLimits{}.max_depth + kReplyWrapperDepth}, &reader);
  if (!status.ok()) return status;
  if (!reader.complete()) {
    return Status::InvalidArgument("the line is not a message: an object with a string \"t\"");
  }
  return std::move(reader).Take();
}

json ApplyCalls(const std::vector<ReportedCall>& calls, StepRun& run, hooks::CallbackGate* gate) {
  json last;
  for (const auto& call : calls) {
    const auto& m = call.method;
    if (m == "log") {
      run.api().Log(call.line);
    } else if (m == "cb" && gate != nullptr) {
      gate->OnCallback(call.callback);
    } else if (m == "throw" && gate != nullptr) {
      gate->OnThrow(call.message);
    } else if (auto method = ParseApiMethod(m)) {
      last = run.api().Invoke(*method, call.args);
    }
  }
  return last;
}

}  // namespace prereg::adapters
