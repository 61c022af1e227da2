#include "session.h"

#include <chrono>

#include <fmt/format.h>

#include <boost/asio/dispatch.hpp>

namespace prereg::http {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

void Session::Run() {
  net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::DoRead, shared_from_this()));
}

void Session::CloseIfIdle() {
  if (busy_) return;
  beast::error_code ec;
  stream_.socket().close(ec);
}

std::optional<Response> AnswerUnreadable(const beast::error_code& ec, size_t body_limit) {
  if (ec == bhttp::error::body_limit) return PayloadTooLarge(body_limit, 11);
  if (ec == bhttp::error::header_limit) {
    return PlainError(bhttp::status::request_header_fields_too_large,
                      fmt::format("the request's head is larger than {} bytes", kHeaderLimit));
  }
  // Beast's parser errors mean the bytes are not an HTTP/1.1 request we accept; everything else
  // (end of stream, timeout, reset, cancelled at shutdown) leaves nobody to answer.
  if (ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category() ||
      ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      ec == bhttp::error::short_read || ec == bhttp::error::stale_parser) {
    return std::nullopt;
  }
  return PlainError(bhttp::status::bad_request,
                    fmt::format("the request is not valid HTTP/1.1: {}", ec.message()));
}

void Session::DoRead() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(host_.body_limit());
  stream_.expires_after(std::chrono::seconds(60));  // idle keep-alive connections
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::OnRead(beast::error_code ec, std::size_t) {
  if (ec == bhttp::error::end_of_stream) return DoClose();
  if (ec) {
    auto answer = AnswerUnreadable(ec, host_.body_limit());
    if (!answer) return;  // timeout, reset or shutdown: nothing to answer
    busy_ = true;
    linger_ = true;
    return Send(std::move(*answer));
  }
  busy_ = true;
  stream_.expires_never();  // the flow's own budget bounds the wait
  auto req = std::make_shared<Request>(parser_->release());
  host_.Handle(req, [self = shared_from_this()](Response res) { self->Send(std::move(res)); });
}

void Session::Send(Response res) {
  if (!host_.accepting() || linger_) res.keep_alive(false);
  host_.Responded(res.result_int());
  res_ = std::make_shared<Response>(std::move(res));
  stream_.expires_after(std::chrono::seconds(30));
  bhttp::async_write(stream_, *res_,
                     beast::bind_front_handler(&Session::OnWrite, shared_from_this(), res_->need_eof()));
}

void Session::OnWrite(bool close, beast::error_code ec, std::size_t) {
  busy_ = false;
  res_.reset();
  if (ec) return;
  if (linger_) return DoLinger();
  if (close || !host_.accepting()) return DoClose();
  DoRead();
}

void Session::DoClose() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
}

void Session::DoLinger() {
  DoClose();
  stream_.expires_after(std::chrono::seconds(2));
  OnLinger({}, 0);
}

void Session::OnLinger(beast::error_code ec, std::size_t) {
  if (ec) return;  // the client closed, or the linger ended: the session goes
  buffer_.clear();
  stream_.async_read_some(buffer_.prepare(4096),
                          beast::bind_front_handler(&Session::OnLinger, shared_from_this()));
}

}  // namespace prereg::http
