// Internal to adapters/http: what the front doors need of OpenSSL to check and make signatures.

#ifndef PREREG_ADAPTERS_HTTP_CRYPTO_H_
#define PREREG_ADAPTERS_HTTP_CRYPTO_H_

#include <optional>
#include <string>
#include <string_view>

namespace prereg::http {

// The raw HMAC-SHA256 of `message` under `key` (32 bytes).
std::string HmacSha256(std::string_view key, std::string_view message);
// Standard base64 with padding, and back (std::nullopt for anything else).
std::string Base64(std::string_view bytes);
std::optional<std::string> Unbase64(std::string_view text);
// Lower-case hex.
std::string Hex(std::string_view bytes);

}  // namespace prereg::http

#endif  // PREREG_ADAPTERS_HTTP_CRYPTO_H_
