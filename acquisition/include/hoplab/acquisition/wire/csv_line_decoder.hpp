#pragma once

#include <hoplab/acquisition/wire/codec.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hoplab::acquisition::wire {

// Plain-text lines from hobby load-cell boards on serial (docs/protocol.md, "CSV lines"). One line
// is one sample:
//   "c1,c2,...,cN"        N values, no timestamp (device_time_ns = 0)
//   "t_us,c1,c2,...,cN"   a device timestamp in microseconds (unsigned integer), then N values
// Fields are separated by commas, semicolons, tabs or spaces; lines end in "\n" or "\r\n"; blank
// lines and lines starting with '#' are skipped. With SampleFormat::int32 every value must be a
// base-10 integer in int32 range (raw ADC counts); with float32 any finite decimal number. A
// timestamp that falls back by more than 2^31 µs after passing 2^31 (and while below 2^32) is taken
// as a 32-bit µs counter wrapping (every 71.6 min) and unwrapped. Each accepted line becomes a
// Message (stream_id 0, seq = first_sample_index mod 2^32) holding a one-sample DataBlock whose
// first_sample_index counts accepted lines from 0: text has no sample counter, so lines lost on the
// wire cannot be detected, only lines that arrive damaged (each a DecodeError, never a sample).
class CsvLineDecoder {
  public:
    static constexpr std::size_t kMaxLineBytes = 1024;
    // Throws std::invalid_argument unless 1 ≤ n_channels ≤ kMaxChannels.
    CsvLineDecoder(std::uint16_t n_channels, SampleFormat sample_format);
    void feed(std::span<const std::uint8_t> bytes);
    // A message, or a DecodeError naming the line number and the field at fault.
    std::optional<DecodeResult> next();

  private:
    std::optional<DecodeResult> parse(std::string_view line);

    std::uint16_t n_channels_;
    SampleFormat sample_format_;
    std::string buffer_;
    std::size_t parsed_to_ = 0;
    bool discarding_long_line_ = false;
    std::uint64_t line_number_ =
        0;  // every line seen, from 1, as a person counts them in a terminal
    std::uint64_t accepted_ = 0;
    std::optional<std::uint64_t> previous_t_us_;
    std::uint64_t t_us_epoch_ = 0;  // 2^32 × the number of 32-bit wraps unwrapped so far
};

}  // namespace hoplab::acquisition::wire
