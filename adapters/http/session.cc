#include "session.h"

#include <array>
#include <chrono>

#include <fmt/format.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>

namespace prereg::http {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

Session::Session(tcp::socket&& socket, SessionHost& host, net::ssl::context* tls) : host_(host) {
  if (tls != nullptr) {
    tls_.emplace(std::move(socket), *tls);
  } else {
    plain_.emplace(std::move(socket));
  }
}

void Session::Run() {
  net::dispatch(Lowest().get_executor(), [self = shared_from_this()] {
    if (!self->tls_) return self->DoRead();
    self->Lowest().expires_after(std::chrono::seconds(10));  // a handshake that never ends
    self->tls_->async_handshake(net::ssl::stream_base::server,
                                beast::bind_front_handler(&Session::OnHandshake, self));
  });
}

void Session::OnHandshake(beast::error_code ec) {
  if (ec) return;  // not TLS, or not finished in time: nobody to answer
  DoRead();
}

void Session::CloseIfIdle() {
  if (busy_) return;
  beast::error_code ec;
  Lowest().socket().close(ec);
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
  Lowest().expires_after(std::chrono::seconds(60));  // idle keep-alive connections
  WithStream([this](auto& stream) {
    bhttp::async_read(stream, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  });
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
  Lowest().expires_never();  // the flow's own budget bounds the wait
  auto req = std::make_shared<Request>(parser_->release());
  host_.Handle(req, [self = shared_from_this()](Response res) { self->Send(std::move(res)); });
}

void Session::Send(Response res) {
  if (!host_.accepting() || linger_) res.keep_alive(false);
  host_.Responded(res.result_int());
  if (plain_ && !res.chunked()) return SendPlain(std::move(res));
  res_ = std::make_shared<Response>(std::move(res));
  Lowest().expires_after(std::chrono::seconds(30));
  WithStream([this](auto& stream) {
    bhttp::async_write(stream, *res_,
                       beast::bind_front_handler(&Session::OnWrite, shared_from_this(),
                                                 res_->need_eof()));
  });
}

void Session::SendPlain(Response res) {
  // Beast's serializer writes the same bytes (a string body, not chunked), through layers that
  // cost the service about a tenth of its CPU per sign-up (bench/README.md, 2026-12-07).
  const bool close = res.need_eof();
  head_.clear();
  head_ += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head_ += fmt::format_int(res.result_int()).c_str();
  head_ += ' ';
  head_.append(res.reason().data(), res.reason().size());
  head_ += "\r\n";
  for (const auto& field : res) {
    head_.append(field.name_string().data(), field.name_string().size());
    head_ += ": ";
    head_.append(field.value().data(), field.value().size());
    head_ += "\r\n";
  }
  head_ += "\r\n";
  body_ = std::move(res.body());
  auto& socket = plain_->socket();
  beast::error_code ec;
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  const std::array<net::const_buffer, 2> wire{net::buffer(head_), net::buffer(body_)};
  size_t sent = ec ? 0 : socket.write_some(wire, ec);
  if (ec == net::error::would_block || ec == net::error::try_again) ec = {};
  const size_t total = head_.size() + body_.size();
  if (ec || sent == total) return OnWrite(close, ec, sent);
  // The rest waits for room in the socket's buffer, bounded in time.
  Lowest().expires_after(std::chrono::seconds(30));
  auto rest = beast::buffers_suffix<std::array<net::const_buffer, 2>>(wire);
  rest.consume(sent);
  net::async_write(*plain_, rest,
                   beast::bind_front_handler(&Session::OnWrite, shared_from_this(), close));
}

void Session::OnWrite(bool close, beast::error_code ec, std::size_t) {
  busy_ = false;
  res_.reset();
  body_ = std::string();  // freed: an idle keep-alive connection holds no answer
  if (ec) return;
  if (linger_) return DoLinger();
  if (close || !host_.accepting()) return DoClose();
  DoRead();
}

void Session::DoClose() {
  if (tls_) {
    // close_notify first, bounded in time; the socket closes with the session either way.
    Lowest().expires_after(std::chrono::seconds(2));
    tls_->async_shutdown([self = shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      self->Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
    return;
  }
  beast::error_code ec;
  Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
}

void Session::DoLinger() {
  DoClose();
  if (tls_) return;  // the TLS shutdown reads until the peer's close_notify or its deadline
  Lowest().expires_after(std::chrono::seconds(2));
  OnLinger({}, 0);
}

void Session::OnLinger(beast::error_code ec, std::size_t) {
  if (ec) return;  // the client closed, or the linger ended: the session goes
  buffer_.clear();
  Lowest().async_read_some(buffer_.prepare(4096),
                           beast::bind_front_handler(&Session::OnLinger, shared_from_this()));
}

}  // namespace prereg::http
