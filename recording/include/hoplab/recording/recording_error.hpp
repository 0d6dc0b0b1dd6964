#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace hoplab::recording {

// Everything that goes wrong between hoplab and a session file: HDF5 failures (with HDF5's own
// error stack folded into the message), files that are not hoplab recordings, newer format
// versions, missing objects. The message reads
// "<file>: <object path>: <problem>", e.g. "s.h5: /streams/left/raw: cannot extend: ...". Misuse of
// the writer's API (a bad device index, an unsafe name) is std::invalid_argument instead.
class RecordingError : public std::runtime_error {
  public:
    RecordingError(std::filesystem::path file, std::string object_path, std::string problem);

    const std::filesystem::path& file() const { return file_; }
    // The HDF5 path of the group, dataset or attribute involved ("/" for the file as a whole).
    const std::string& object_path() const { return object_path_; }
    const std::string& problem() const { return problem_; }

  private:
    std::filesystem::path file_;
    std::string object_path_;
    std::string problem_;
};

}  // namespace hoplab::recording
