#include <hoplab/acquisition/wire/csv_line_decoder.hpp>

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace hoplab::acquisition::wire {
namespace {

constexpr std::uint64_t kWrapUs = std::uint64_t{1} << 32;
constexpr std::uint64_t kHalfWrapUs = std::uint64_t{1} << 31;

bool is_separator(char c) {
    return c == ',' || c == ';' || c == '\t' || c == ' ';
}

// Splits on runs of separators, so "1, 2" and "1 2" both give two fields; a trailing separator adds
// no field.
std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t at = 0;
    while (at < line.size()) {
        while (at < line.size() && is_separator(line[at])) {
            ++at;
        }
        const std::size_t begin = at;
        while (at < line.size() && !is_separator(line[at])) {
            ++at;
        }
        if (at > begin) {
            fields.push_back(line.substr(begin, at - begin));
        }
    }
    return fields;
}

template <typename T>
bool parse_whole(std::string_view text, T& value) {
    const char* begin = text.data();
    if (!text.empty() && text.front() == '+') {
        ++begin;
    }
    const char* end = text.data() + text.size();
    const auto [stop, status] = std::from_chars(begin, end, value);
    return status == std::errc{} && stop == end;
}

}  // namespace

CsvLineDecoder::CsvLineDecoder(std::uint16_t n_channels, SampleFormat sample_format)
    : n_channels_(n_channels), sample_format_(sample_format) {
    if (n_channels == 0 || n_channels > kMaxChannels) {
        throw std::invalid_argument("CsvLineDecoder: n_channels " + std::to_string(n_channels) +
                                    " is outside 1-" + std::to_string(kMaxChannels));
    }
}

void CsvLineDecoder::feed(std::span<const std::uint8_t> bytes) {
    buffer_.erase(0, parsed_to_);
    parsed_to_ = 0;
    buffer_.append(bytes.begin(), bytes.end());
}

std::optional<DecodeResult> CsvLineDecoder::next() {
    while (true) {
        const std::size_t newline = buffer_.find('\n', parsed_to_);
        if (newline == std::string::npos) {
            if (!discarding_long_line_ && buffer_.size() - parsed_to_ > kMaxLineBytes) {
                // Bound memory: drop this line now and the rest of it as it arrives.
                discarding_long_line_ = true;
                ++line_number_;
                const std::size_t dropped = buffer_.size() - parsed_to_;
                parsed_to_ = buffer_.size();
                return DecodeError{"CSV line " + std::to_string(line_number_) + " is longer than " +
                                       std::to_string(kMaxLineBytes) + " bytes",
                                   dropped, false, std::nullopt};
            }
            if (discarding_long_line_) {
                parsed_to_ = buffer_.size();
            }
            return std::nullopt;
        }
        std::string_view line(buffer_.data() + parsed_to_, newline - parsed_to_);
        parsed_to_ = newline + 1;
        if (discarding_long_line_) {
            discarding_long_line_ = false;
            continue;
        }
        ++line_number_;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (auto result = parse(line)) {
            return result;
        }
    }
}

std::optional<DecodeResult> CsvLineDecoder::parse(std::string_view line) {
    const auto fields = split_fields(line);
    if (fields.empty() || fields.front().front() == '#') {
        return std::nullopt;
    }
    const std::string where = "CSV line " + std::to_string(line_number_);
    const auto fail = [&](std::string reason) -> DecodeResult {
        return DecodeError{where + ": " + reason, line.size() + 1, false, std::nullopt};
    };
    const bool has_time = fields.size() == std::size_t{n_channels_} + 1;
    if (!has_time && fields.size() != n_channels_) {
        return fail(std::to_string(fields.size()) + " fields; expected " +
                    std::to_string(n_channels_) + " values, or a time in µs and " +
                    std::to_string(n_channels_) + " values");
    }
    DataBlock block;
    block.n_samples = 1;
    block.n_channels = n_channels_;
    block.sample_format = sample_format_;
    std::size_t first_value = 0;
    if (has_time) {
        std::uint64_t t_us = 0;
        if (!parse_whole(fields[0], t_us)) {
            return fail("field 1 (time, µs) \"" + std::string(fields[0]) +
                        "\" is not an unsigned integer");
        }
        if (previous_t_us_ && *previous_t_us_ >= kHalfWrapUs && *previous_t_us_ < kWrapUs &&
            t_us + kHalfWrapUs < *previous_t_us_) {
            t_us_epoch_ += kWrapUs;
        }
        previous_t_us_ = t_us;
        const std::uint64_t unwrapped_us = t_us + t_us_epoch_;
        if (unwrapped_us >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 1000)) {
            return fail("field 1 (time, µs) " + std::string(fields[0]) +
                        " overflows a nanosecond clock");
        }
        block.device_time_ns = static_cast<std::int64_t>(unwrapped_us) * 1000;
        first_value = 1;
    }
    for (std::size_t i = first_value; i < fields.size(); ++i) {
        const std::string field_name =
            "field " + std::to_string(i + 1) + " \"" + std::string(fields[i]) + "\"";
        if (sample_format_ == SampleFormat::int32) {
            std::int32_t count = 0;
            if (!parse_whole(fields[i], count)) {
                return fail(field_name + " is not an integer in int32 range");
            }
            block.counts.push_back(count);
        } else {
            float value = 0;
            if (!parse_whole(fields[i], value) || !std::isfinite(value)) {
                return fail(field_name + " is not a finite number");
            }
            block.values.push_back(value);
        }
    }
    block.first_sample_index = accepted_++;
    Message message;
    message.seq = static_cast<std::uint32_t>(block.first_sample_index);
    message.body = std::move(block);
    return message;
}

}  // namespace hoplab::acquisition::wire
