#pragma once

#include <string>

namespace hoplab::recording {

// The current UTC time as ISO 8601 with milliseconds, e.g. "2026-11-23T01:30:00.123Z".
std::string utc_now();

}  // namespace hoplab::recording
