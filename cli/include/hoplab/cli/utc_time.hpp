#pragma once

#include <string>

namespace hoplab::cli {

// The current UTC time as ISO 8601 to the second, e.g. "2026-11-23T05:48:17Z" (provenance stamps).
std::string utc_now();

}  // namespace hoplab::cli
