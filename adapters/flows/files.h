// Internal to adapters/flows: reading the files a flow source names, bounded before anything is
// built on them.

#ifndef PREREG_ADAPTERS_FLOWS_FILES_H_
#define PREREG_ADAPTERS_FLOWS_FILES_H_

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "prereg/actions/status.h"

namespace prereg::adapters {

// The whole of `path`. kNotFound "<what> <path> does not exist"; kInvalidArgument when it is not
// a regular file, cannot be read or is larger than `limit` bytes.
Result<std::string> ReadBoundedFile(const std::filesystem::path& path, std::string_view what,
                                    size_t limit);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_FLOWS_FILES_H_
