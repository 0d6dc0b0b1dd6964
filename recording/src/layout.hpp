#pragma once

// Names and record types of the session file, shared by the writer, the reader and recovery. The
// prose description is docs/recording-format.md; scripts/golden/recording_schema_check.py checks
// files against it.

#include "h5.hpp"

#include <hoplab/recording/session_info.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hoplab::recording::layout {

inline constexpr std::size_t kUtcBytes = 40;
inline constexpr std::size_t kGapReasonBytes = 64;
inline constexpr std::size_t kEventKindBytes = 32;
inline constexpr std::size_t kTableChunkRows = 1024;

inline constexpr std::string_view kStatusRecording = "recording";
inline constexpr std::string_view kStatusComplete = "complete";
inline constexpr std::string_view kAbortedPrefix = "aborted: ";

struct BlockRow {
    std::uint64_t first_sample_index;
    std::uint32_t n_samples;
    std::int64_t device_time_ns;
    std::int64_t host_time_ns;
    std::uint64_t first_row;  // row of /streams/<name>/raw holding the block's first sample
};

struct GapRow {
    std::uint64_t first_missing_index;
    std::uint64_t count;
    std::array<char, kGapReasonBytes> reason;
};

struct EventRow {
    std::array<char, kEventKindBytes> kind;
    double time_s;
};

// Columns of /trials/<id>/metrics/contacts after `index`: the contact fields of the analysis JSON
// (DESIGN §8), their units, NaN where the JSON has null.
struct ContactColumn {
    std::string_view name;
    std::string_view unit;
};
inline constexpr std::array<ContactColumn, 12> kContactColumns{{
    {"start_s", "s"},
    {"end_s", "s"},
    {"contact_time_s", "s"},
    {"peak_force_N", "N"},
    {"peak_force_bw", "BW"},
    {"time_to_peak_s", "s"},
    {"impulse_Ns", "N.s"},
    {"loading_rate_bw_per_s", "BW/s"},
    {"flight_time_before_s", "s"},
    {"flight_time_after_s", "s"},
    {"jump_height_m", "m"},
    {"rsi", "m/s"},
}};
struct ContactRow {
    std::int64_t index;
    std::array<double, kContactColumns.size()> values;
};

// Memory and file (packed) compound types.
h5::Handle block_memory_type();
h5::Handle gap_memory_type();
h5::Handle event_memory_type();
h5::Handle contact_memory_type();
// A tare row is utc (fixed string) + offsets[channels] + noise_sd[channels], laid out by
// tare_row_bytes().
h5::Handle tare_memory_type(std::size_t channels);
std::size_t tare_row_bytes(std::size_t channels);
std::size_t tare_offsets_offset();
std::size_t tare_noise_offset(std::size_t channels);
h5::Handle packed(hid_t memory_type);

// Copies `text` into a fixed field, cut at a UTF-8 character boundary so it fits with its
// terminator.
template <std::size_t N>
std::array<char, N> fixed_text(std::string_view text) {
    std::array<char, N> out{};
    std::size_t length = text.size() < N ? text.size() : N - 1;
    while (length > 0 && length < text.size() &&
           (static_cast<unsigned char>(text[length]) & 0xC0U) == 0x80U) {
        --length;
    }
    text.copy(out.data(), length);
    return out;
}
template <std::size_t N>
std::string from_fixed(const std::array<char, N>& field) {
    std::size_t length = 0;
    while (length < N && field[length] != '\0') {
        ++length;
    }
    return std::string(field.data(), length);
}

std::string_view raw_unit(RawFormat format);
std::string_view raw_format_name(RawFormat format);
std::optional<RawFormat> parse_raw_format(std::string_view name);

std::string device_path(std::string_view device);

}  // namespace hoplab::recording::layout
