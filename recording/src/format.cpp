#include <hoplab/recording/format.hpp>

#include <stdexcept>
#include <string>

namespace hoplab::recording {

bool is_valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        return false;
    }
    for (const char c : name) {
        const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!allowed) {
            return false;
        }
    }
    return true;
}

void require_valid_name(std::string_view name, std::string_view what) {
    if (!is_valid_name(name)) {
        // Non-printable bytes are shown as \xNN so the message itself stays safe to log.
        std::string shown;
        for (const char c : name) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte >= 0x7f) {
                static constexpr char kHex[] = "0123456789abcdef";
                shown += "\\x";
                shown += kHex[byte >> 4];
                shown += kHex[byte & 0xf];
            } else {
                shown += c;
            }
        }
        throw std::invalid_argument(
            std::string(what) + " '" + shown +
            "' must be 1-64 characters of A-Z a-z 0-9 _ - (it becomes an HDF5 path component)");
    }
}

}  // namespace hoplab::recording
