#pragma once

#include <cstdint>
#include <string_view>

namespace hoplab::recording {

// The root attribute `format` of every hoplab session file.
inline constexpr std::string_view kFormatName = "hoplab-recording";
// The root attribute `format_version` this library writes and the highest it reads. Raised when a
// change would make an older reader misread a file; additions that older readers can ignore keep
// the number. Format 2 stores every string as fixed-length UTF-8 (format 1: variable-length); the
// reader reads both.
inline constexpr std::int64_t kFormatVersion = 2;

// Device names and trial ids become HDF5 path components, so they are restricted to 1-64 characters
// of A-Z a-z 0-9 '_' '-': no '/', no "." or "..", nothing outside ASCII.
bool is_valid_name(std::string_view name);
// Throws std::invalid_argument naming `what` (e.g. "device name") and the refused value.
void require_valid_name(std::string_view name, std::string_view what);

}  // namespace hoplab::recording
