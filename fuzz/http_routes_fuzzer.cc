// Bytes from a connection: Beast's parser with the service's limits, then the route handler
// (request -> response or event to run), or the answer to a request that cannot be read.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "http/session.h"
#include "prereg/actions/json.h"
#include "prereg/adapters/http_routes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace beast = boost::beast;
  namespace bhttp = beast::http;
  constexpr size_t kBodyLimit = 64 * 1024;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(prereg::http::kHeaderLimit);
  parser.body_limit(kBodyLimit);
  parser.eager(true);
  beast::error_code ec;
  boost::asio::const_buffer input(data, size);
  while (input.size() > 0 && !parser.is_done()) {
    const size_t used = parser.put(input, ec);
    if (ec == bhttp::error::need_more) {
      ec = {};
      break;
    }
    if (ec || used == 0) break;
    input += used;
  }
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec) {
    if (auto answer = prereg::http::AnswerUnreadable(ec, kBodyLimit)) {
      std::ostringstream out;
      out << *answer;
    }
    return 0;
  }
  if (!parser.is_done()) return 0;
  static const std::vector<std::string> kTokens = {"fuzz-token"};
  prereg::http::RouteContext ctx;
  ctx.tokens = &kTokens;
  ctx.ready = true;
  ctx.render_metrics = [] { return std::string("prereg_x 1\n"); };
  // The Supabase front door, with the Standard Webhooks test vector's secret and time: a seed
  // signed with it reaches the payload mapping.
  static const prereg::http::supabase::Config kSupabase = [] {
    prereg::http::supabase::Config c;
    c.keys = prereg::http::supabase::DecodeSecrets({"v1,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}).value();
    return c;
  }();
  ctx.supabase = &kSupabase;
  ctx.now_ms = int64_t{1614265330} * 1000;
  static const prereg::http::workos::Config kWorkos = [] {
    prereg::http::workos::Config c;
    c.secret = "secret";
    return c;
  }();
  ctx.workos = &kWorkos;
  static const prereg::http::kratos::Config kKratos = [] {
    prereg::http::kratos::Config c;
    c.enabled = true;
    c.fields = {{"invalid_email", "email"}};
    return c;
  }();
  ctx.kratos = &kKratos;
  auto routed = prereg::http::HandleRequest(parser.get(), ctx);
  if (auto* res = std::get_if<prereg::http::Response>(&routed)) {
    std::ostringstream out;
    out << *res;
  } else {
    (void)prereg::DumpJson(std::get<prereg::http::RunEvent>(routed).event);
  }
  return 0;
}
