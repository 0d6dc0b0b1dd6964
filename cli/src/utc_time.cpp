#include <hoplab/cli/utc_time.hpp>

#include <array>
#include <ctime>

namespace hoplab::cli {

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::array<char, 32> text{};
    std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text.data();
}

}  // namespace hoplab::cli
