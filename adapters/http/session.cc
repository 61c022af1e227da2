#include "session.h"

#include <chrono>

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

void Session::DoRead() {
  parser_.emplace();
  parser_->body_limit(host_.body_limit());
  stream_.expires_after(std::chrono::seconds(60));  // idle keep-alive connections
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::OnRead(beast::error_code ec, std::size_t) {
  if (ec == bhttp::error::end_of_stream) return DoClose();
  if (ec == bhttp::error::body_limit) {
    busy_ = true;
    return Send(PayloadTooLarge(host_.body_limit(), parser_->get().version()));
  }
  if (ec) return;  // timeout, reset or shutdown: nothing to answer
  busy_ = true;
  stream_.expires_never();  // the flow's own budget bounds the wait
  auto req = std::make_shared<Request>(parser_->release());
  host_.Handle(req, [self = shared_from_this()](Response res) { self->Send(std::move(res)); });
}

void Session::Send(Response res) {
  if (!host_.accepting()) res.keep_alive(false);
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
  if (close || !host_.accepting()) return DoClose();
  DoRead();
}

void Session::DoClose() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace prereg::http
