#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace troupe::persistence::testing {

/// A fresh directory under /tmp, removed with everything in it on
/// destruction.
class temp_dir {
public:
  temp_dir() {
    char tmpl[] = "/tmp/troupe-persist.XXXXXX";
    if (mkdtemp(tmpl) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The directory.
  const std::string& path() const { return path_; }

  /// A path inside the directory.
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

} // namespace troupe::persistence::testing
