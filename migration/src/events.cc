#include "prereg/migration/events.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace prereg::migration {

namespace {

using json = nlohmann::json;

// splitmix64: small, fast, and the same everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  // True with probability percent/100.
  bool Chance(unsigned percent) { return Below(100) < percent; }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) { return items[Below(N)]; }

 private:
  uint64_t state_;
};

struct Place {
  const char* country;
  const char* country3;
  const char* name;
  const char* continent;
  const char* city;
  const char* time_zone;
  const char* ip_prefix;
  const char* ip6_prefix;  // the first 32 bits of an ISP's allocation there; null: none in use
  const char* language;
  const char* locale;
  double latitude, longitude;
};

constexpr std::array<Place, 16> kPlaces = {{
    {"GB", "GBR", "United Kingdom", "EU", "London", "Europe/London", "81.2.69.", "2a00:23c4", "en-GB", "en", 51.5, -0.1},
    {"FR", "FRA", "France", "EU", "Paris", "Europe/Paris", "90.84.", "2a01:cb00", "fr-FR", "fr", 48.9, 2.3},
    {"DE", "DEU", "Germany", "EU", "Berlin", "Europe/Berlin", "85.214.", "2003:e5", "de-DE", "de", 52.5, 13.4},
    {"US", "USA", "United States", "NA", "Seattle", "America/Los_Angeles", "198.51.100.", "2601:601", "en-US", "en", 47.6, -122.3},
    {"CA", "CAN", "Canada", "NA", "Montréal", "America/Toronto", "142.112.", "2607:fea8", "fr-CA", "fr-CA", 45.5, -73.6},
    {"BR", "BRA", "Brazil", "SA", "São Paulo", "America/Sao_Paulo", "177.71.", "2804:14c", "pt-BR", "pt-BR", -23.5, -46.6},
    {"AR", "ARG", "Argentina", "SA", "Buenos Aires", "America/Argentina/Buenos_Aires", "181.46.", "2800:810", "es-AR", "es-419", -34.6, -58.4},
    {"JP", "JPN", "Japan", "AS", "東京", "Asia/Tokyo", "133.242.", "240b:10", "ja-JP", "ja", 35.7, 139.7},
    {"CN", "CHN", "China", "AS", "Shanghai", "Asia/Shanghai", "101.226.", "240e:3a1", "zh-CN", "zh-CN", 31.2, 121.5},
    {"IN", "IND", "India", "AS", "Bengaluru", "Asia/Kolkata", "49.207.", "2409:4040", "hi-IN", "hi", 12.97, 77.6},
    {"KP", "PRK", "North Korea", "AS", "Pyongyang", "Asia/Pyongyang", "175.45.176.", nullptr, "ko-KP", "ko", 39.0, 125.8},
    {"AE", "ARE", "United Arab Emirates", "AS", "Dubai", "Asia/Dubai", "94.200.", "2001:8f8", "ar-AE", "ar", 25.2, 55.3},
    {"NG", "NGA", "Nigeria", "AF", "Lagos", "Africa/Lagos", "102.89.", "2c0f:f5c0", "en-NG", "en", 6.5, 3.4},
    {"ZA", "ZAF", "South Africa", "AF", "Cape Town", "Africa/Johannesburg", "41.13.", "2c0f:fe38", "af-ZA", "en", -33.9, 18.4},
    {"AU", "AUS", "Australia", "OC", "Sydney", "Australia/Sydney", "1.128.", "2001:8003", "en-AU", "en", -33.9, 151.2},
    {"NZ", "NZL", "New Zealand", "OC", "Auckland", "Pacific/Auckland", "202.27.", "2404:4400", "mi-NZ", "en", -36.8, 174.8},
}};

constexpr std::array<const char*, 14> kGiven = {
    "Ada", "Zoë", "Łukasz", "José", "Mária", "Søren", "محمد", "李雷", "さくら", "Αλέξης",
    "Ngozi", "Priya", "O'Brien", "Jean-Luc"};
constexpr std::array<const char*, 10> kFamily = {
    "Lovelace", "Müller", "García", "Nguyễn", "Kowalski", "Østergaard", "王", "田中", "Okafor",
    "D'Souza"};
constexpr std::array<const char*, 10> kDomains = {
    "example.com", "example.org", "mail.example.net", "gmail.com", "outlook.com",
    "mailinator.com", "guerrillamail.com", "bücher.example", "例え.jp", "company.co.uk"};
constexpr std::array<const char*, 5> kUserAgents = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "curl/8.5.0", "okhttp/4.12.0"};

std::string Ascii(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += static_cast<char>(c);
  }
  return out.empty() ? "user" : out;
}

std::string Email(Rng& rng, const std::string& given, const std::string& family, uint64_t index) {
  const std::string domain = rng.Pick(kDomains);
  std::string local = Ascii(given) + "." + Ascii(family);
  switch (rng.Below(10)) {
    case 0: {  // upper case
      std::string upper = local + "@" + domain;
      for (auto& c : upper) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      return upper;
    }
    case 1: return fmt::format("{}+signup{}@{}", local, index % 97, domain);  // plus-addressing
    case 2: return fmt::format("{}@{}", std::string(64, 'l'), domain);          // longest local part
    case 3: return fmt::format("{}{}@{}", given, index % 10, domain);           // Unicode local part
    default: return fmt::format("{}{}@{}", local, index % 1000, domain);
  }
}

// An address in the place's range: its prefix (two or three octets, as the table gives them)
// completed to four.
std::string Ipv4In(const Place& place, Rng& rng) {
  const std::string_view prefix = place.ip_prefix;
  const auto given = std::count(prefix.begin(), prefix.end(), '.');
  std::string ip(prefix);
  for (auto octets = given; octets < 3; ++octets) ip += fmt::format("{}.", rng.Below(256));
  return ip + std::to_string(1 + rng.Below(250));
}

// An IPv6 address in the place's allocation: its 32-bit prefix and 96 random bits, written as
// inet_pton and Node's net.isIPv6 read it.
std::string Ipv6In(const Place& place, Rng& rng) {
  std::string ip = place.ip6_prefix;
  for (int group = 0; group < 6; ++group) ip += fmt::format(":{:x}", rng.Below(65536));
  return ip;
}

json Metadata(Rng& rng) {
  switch (rng.Below(6)) {
    case 0: return json::object();
    case 1: return {{"newsletter", rng.Chance(50)}};
    case 2: return {{"plan", "free"}, {"referrer", "partner-" + std::to_string(rng.Below(40))}};
    case 3: return {{"profile", {{"interests", {"security", "music"}}, {"age_band", "25-34"}}}};
    case 4: return {{"consents", json::array({{{"kind", "terms"}, {"version", 3}}})}};
    default: return {{"note", "☃ unicode value ✓"}, {"score", static_cast<double>(rng.Below(1000)) / 10.0}};
  }
}

}  // namespace

json GenerateEvent(uint64_t seed, uint64_t index, const json& base) {
  Rng rng(seed * 0x100000001B3ull ^ (index + 1) * 0x9E3779B97F4A7C15ull);
  json event = base.is_object() ? base : json::object();
  const Place& place = rng.Pick(kPlaces);
  const std::string given = rng.Pick(kGiven);
  const std::string family = rng.Pick(kFamily);

  json user = event.value("user", json::object());
  if (!rng.Chance(8)) user["email"] = Email(rng, given, family, index);  // a few have none
  if (rng.Chance(60)) user["username"] = Ascii(given) + std::to_string(rng.Below(10000));
  if (rng.Chance(70)) {
    user["given_name"] = given;
    user["family_name"] = family;
    user["name"] = given + " " + family;
  }
  if (rng.Chance(25)) user["phone_number"] = fmt::format("+{}{:09}", 1 + rng.Below(98), rng.Below(1000000000));
  if (rng.Chance(90)) user["user_metadata"] = Metadata(rng);
  if (rng.Chance(85)) user["app_metadata"] = rng.Chance(30) ? json{{"invited", true}} : json::object();
  event["user"] = std::move(user);

  json request = event.value("request", json::object());
  request["ip"] = rng.Chance(10) && place.ip6_prefix != nullptr ? Ipv6In(place, rng) : Ipv4In(place, rng);
  request["method"] = "POST";
  if (rng.Chance(90)) request["language"] = place.language;
  if (rng.Chance(80)) request["user_agent"] = rng.Pick(kUserAgents);
  request["hostname"] = "login.example.com";
  json geoip = json::object();
  if (rng.Chance(92)) {
    geoip = {{"countryCode", place.country}, {"countryCode3", place.country3},
             {"countryName", place.name}, {"continentCode", place.continent}};
    if (rng.Chance(70)) {
      geoip["cityName"] = place.city;
      geoip["timeZone"] = place.time_zone;
      geoip["latitude"] = place.latitude;
      geoip["longitude"] = place.longitude;
    }
  }
  request["geoip"] = std::move(geoip);
  json body = json::object();
  if (rng.Chance(40)) body["password"] = rng.Chance(30) ? "short1" : "correct horse battery staple";
  if (rng.Chance(30)) body["ulp-first-name"] = rng.Chance(15) ? " " : given;
  request["body"] = std::move(body);
  event["request"] = std::move(request);

  if (!event.contains("connection")) {
    event["connection"] = {{"id", "con_8mKkcbdz7Hw2"},
                           {"name", rng.Chance(85) ? "Username-Password-Authentication" : "partners-db"},
                           {"strategy", "auth0"}};
  }
  if (!event.contains("tenant")) event["tenant"] = {{"id", rng.Chance(90) ? "example-tenant" : "example-staging"}};
  if (rng.Chance(80)) {
    event["client"] = {{"client_id", fmt::format("cl_{:06}", rng.Below(3))},
                       {"name", rng.Chance(50) ? "Example Web" : "Example iOS"},
                       {"metadata", json::object()}};
  } else {
    event.erase("client");
  }
  if (rng.Chance(75)) {
    event["transaction"] = {{"locale", rng.Chance(85) ? place.locale : ""},
                            {"acr_values", json::array()},
                            {"requested_scopes", {"openid", "profile"}},
                            {"ui_locales", {place.locale}},
                            {"protocol", "oidc-basic-profile"},
                            {"correlation_id", fmt::format("gen-{}-{}", seed, index)}};
  } else {
    event.erase("transaction");
  }
  if (rng.Chance(50)) {
    event["security_context"] = {{"ja3", fmt::format("{:016x}", rng.Next())},
                                 {"ja4", fmt::format("t13d{:04}h2_{:012x}", rng.Below(10000), rng.Next() & 0xffffffffffff)}};
  } else {
    event.erase("security_context");
  }
  return event;
}

}  // namespace prereg::migration
