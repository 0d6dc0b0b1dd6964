#include <hoplab/recording/recording_error.hpp>

#include <utility>

namespace hoplab::recording {

RecordingError::RecordingError(std::filesystem::path file, std::string object_path,
                               std::string problem)
    : std::runtime_error(file.string() + ": " + object_path + ": " + problem),
      file_(std::move(file)),
      object_path_(std::move(object_path)),
      problem_(std::move(problem)) {}

}  // namespace hoplab::recording
