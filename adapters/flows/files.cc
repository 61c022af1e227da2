#include "files.h"

#include <fstream>

#include <fmt/format.h>

namespace prereg::adapters {

namespace fs = std::filesystem;

Result<std::string> ReadBoundedFile(const fs::path& path, std::string_view what, size_t limit) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Status::NotFound(fmt::format("{} {} does not exist", what, path.string()));
  }
  if (!fs::is_regular_file(path, ec)) {
    return Status::InvalidArgument(fmt::format("{} {} is not a file", what, path.string()));
  }
  const auto size = fs::file_size(path, ec);
  if (ec || size > limit) {
    return Status::InvalidArgument(
        fmt::format("{} {} is larger than {} bytes", what, path.string(), limit));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(fmt::format("cannot read {} {}", what, path.string()));
  std::string text;
  text.resize(static_cast<size_t>(size));
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

}  // namespace prereg::adapters
