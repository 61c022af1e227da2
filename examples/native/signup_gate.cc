// A native flow: a legacy Hook that refuses disposable e-mail domains, followed by an Action that
// records where the sign-up came from. Usage: prereg_native_example EVENT.json
//
// It shows the library API that embeds prereg in a C++ program; the `prereg` command runs the
// same kind of flow from JavaScript files.

#include <fstream>
#include <iostream>
#include <sstream>

#include "prereg/actions/event.h"
#include "prereg/actions/executor.h"
#include "prereg/hooks/native_hook.h"

namespace {

using json = nlohmann::json;

void DenyDisposableDomains(const json& user, const json& /*context*/, prereg::hooks::HookCallback cb) {
  const std::string email = user.value("email", "");
  const auto at = email.rfind('@');
  const std::string domain = at == std::string::npos ? "" : email.substr(at + 1);
  if (domain == "mailinator.com" || domain == "guerrillamail.com") {
    return cb(prereg::hooks::PreUserRegistrationError(
        "disposable e-mail domain " + domain, "Please sign up with a permanent e-mail address."));
  }
  cb(nullptr, json{{"user", {{"app_metadata", {{"email_domain", domain}}}}}});
}

void RecordOrigin(const json& event, prereg::Api& api) {
  const auto& geoip = event["request"]["geoip"];
  api.SetAppMetadata("signup_country", geoip.value("countryCode", "unknown"))
      .SetUserMetadata("locale", event["request"].value("language", "en"));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: prereg_native_example EVENT.json\n";
    return 1;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "prereg_native_example: cannot read " << argv[1] << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto event = prereg::ParseEvent(text.str());
  if (!event.ok()) {
    std::cerr << "prereg_native_example: " << argv[1] << ": " << event.status().message() << "\n";
    return 1;
  }
  prereg::Flow flow;
  flow.Add("deny-disposable", prereg::hooks::MakeNativeHook(DenyDisposableDomains))
      .Add("record-origin", prereg::MakeNativeAction(RecordOrigin));
  auto record = prereg::RunFlow(flow, event.value());
  if (!record.ok()) {
    std::cerr << "prereg_native_example: " << record.status().ToString() << "\n";
    return 1;
  }
  std::cout << record.value().ToJson().dump(2) << "\n";
  return 0;
}
