// Generated sign-up events for regression comparison: realistic, varied, and identical for the
// same seed on every machine (the generator uses its own integer RNG, not <random>'s
// implementation-defined distributions).

#ifndef PREREG_MIGRATION_EVENTS_H_
#define PREREG_MIGRATION_EVENTS_H_

#include <cstdint>

#include <nlohmann/json.hpp>

namespace prereg::migration {

// Event number `index` of the series `seed`, built on `base` (fields the generator sets replace
// the base's; the rest is kept). Covers continents and countries, languages and locales, e-mail
// domains and edge cases (upper case, plus-addressing, IDN, very long, disposable), Unicode
// names, missing optional fields, security_context present or absent, metadata of several shapes
// and, for some, a password in request.body.
nlohmann::json GenerateEvent(uint64_t seed, uint64_t index,
                             const nlohmann::json& base = nlohmann::json::object());

}  // namespace prereg::migration

#endif  // PREREG_MIGRATION_EVENTS_H_
