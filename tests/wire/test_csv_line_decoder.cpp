#include <hoplab/acquisition/wire/csv_line_decoder.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string_view>
#include <vector>

namespace hoplab::acquisition::wire {
namespace {

std::vector<DecodeResult> decode_all(CsvLineDecoder& decoder, std::string_view text) {
    decoder.feed({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    std::vector<DecodeResult> results;
    while (auto result = decoder.next()) {
        results.push_back(std::move(*result));
    }
    return results;
}

const DataBlock& block_of(const DecodeResult& result) {
    EXPECT_TRUE(std::holds_alternative<Message>(result)) << std::get<DecodeError>(result).reason;
    return std::get<DataBlock>(std::get<Message>(result).body);
}

std::string reason_of(const DecodeResult& result) {
    EXPECT_TRUE(std::holds_alternative<DecodeError>(result));
    return std::holds_alternative<DecodeError>(result) ? std::get<DecodeError>(result).reason : "";
}

TEST(CsvLineDecoder, AcceptsTheDocumentedForms) {
    CsvLineDecoder decoder(4, SampleFormat::int32);
    const auto results = decode_all(decoder,
                                    "# HX711 board v2\n"
                                    "1000,1,-2,3,+4\r\n"
                                    "\n"
                                    "2000;5;6;7;8\n"
                                    "3000\t9\t10\t11\t12\n"
                                    "4000, 13, 14, 15, 16\n"
                                    "-100 200 -300 400\n");
    ASSERT_EQ(results.size(), 5u);
    const std::vector<std::int64_t> times_ns{1'000'000, 2'000'000, 3'000'000, 4'000'000, 0};
    const std::vector<std::vector<std::int32_t>> counts{
        {1, -2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}, {13, 14, 15, 16}, {-100, 200, -300, 400}};
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& block = block_of(results[i]);
        EXPECT_EQ(block.first_sample_index, i);
        EXPECT_EQ(std::get<Message>(results[i]).seq, i);
        EXPECT_EQ(block.n_samples, 1);
        EXPECT_EQ(block.n_channels, 4);
        EXPECT_EQ(block.device_time_ns, times_ns[i]);
        EXPECT_EQ(block.counts, counts[i]);
        EXPECT_TRUE(block.values.empty());
    }
}

TEST(CsvLineDecoder, FloatValuesAndLinesSplitAcrossReads) {
    CsvLineDecoder decoder(2, SampleFormat::float32);
    EXPECT_TRUE(decode_all(decoder, "12.5,-0.2").empty());  // no newline yet
    const auto results = decode_all(decoder, "5e1\n3,4\n");
    ASSERT_EQ(results.size(), 2u);
    // Two fields for two channels: values only, no timestamp. The first line is "12.5,-0.25e1".
    EXPECT_EQ(block_of(results[0]).device_time_ns, 0);
    EXPECT_EQ(block_of(results[0]).values, (std::vector<float>{12.5f, -2.5f}));
    EXPECT_EQ(block_of(results[1]).values, (std::vector<float>{3.0f, 4.0f}));
    EXPECT_EQ(block_of(results[1]).first_sample_index, 1u);
}

TEST(CsvLineDecoder, BadLinesNameTheLineAndTheField) {
    CsvLineDecoder decoder(3, SampleFormat::int32);
    const auto results = decode_all(decoder,
                                    "10,1,2,3\n"
                                    "20,1,2x,3\n"
                                    "30,1\n"
                                    "-5,1,2,3\n"
                                    "40,1,2,3000000000\n"
                                    "50,1,2,3\n");
    ASSERT_EQ(results.size(), 6u);
    EXPECT_EQ(reason_of(results[1]), "CSV line 2: field 3 \"2x\" is not an integer in int32 range");
    EXPECT_EQ(reason_of(results[2]),
              "CSV line 3: 2 fields; expected 3 values, or a time in µs and 3 values");
    EXPECT_EQ(reason_of(results[3]),
              "CSV line 4: field 1 (time, µs) \"-5\" is not an unsigned integer");
    EXPECT_EQ(reason_of(results[4]),
              "CSV line 5: field 4 \"3000000000\" is not an integer in int32 range");
    // Rejected lines are not samples: the next good line is sample 1, never a filled-in value.
    EXPECT_EQ(block_of(results[5]).first_sample_index, 1u);
    EXPECT_EQ(block_of(results[5]).counts, (std::vector<std::int32_t>{1, 2, 3}));
}

TEST(CsvLineDecoder, NonFiniteFloatsAreRejected) {
    CsvLineDecoder decoder(1, SampleFormat::float32);
    const auto results = decode_all(decoder, "nan\ninf\n1e999\n2.5\n");
    ASSERT_EQ(results.size(), 4u);
    EXPECT_EQ(reason_of(results[0]), "CSV line 1: field 1 \"nan\" is not a finite number");
    EXPECT_EQ(reason_of(results[1]), "CSV line 2: field 1 \"inf\" is not a finite number");
    EXPECT_EQ(reason_of(results[2]), "CSV line 3: field 1 \"1e999\" is not a finite number");
    EXPECT_EQ(block_of(results[3]).values, std::vector<float>{2.5f});
}

TEST(CsvLineDecoder, UnwrapsA32BitMicrosecondCounter) {
    CsvLineDecoder decoder(1, SampleFormat::int32);
    const auto results =
        decode_all(decoder, "4294966296,7\n704,8\n");  // 2^32 − 1000 µs, then 1704 µs later
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(block_of(results[0]).device_time_ns, 4'294'966'296'000LL);
    EXPECT_EQ(block_of(results[1]).device_time_ns, 4'294'968'000'000LL);
}

TEST(CsvLineDecoder, OverlongLineIsDroppedWithBoundedMemory) {
    CsvLineDecoder decoder(1, SampleFormat::int32);
    const std::string noise(3000, '7');
    auto results = decode_all(decoder, noise);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(reason_of(results[0]), "CSV line 1 is longer than 1024 bytes");
    results = decode_all(decoder, noise + "\n42\n");
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(block_of(results[0]).counts, std::vector<std::int32_t>{42});
}

TEST(CsvLineDecoder, RejectsAChannelCountOutsideTheBounds) {
    EXPECT_THROW(CsvLineDecoder(0, SampleFormat::int32), std::invalid_argument);
    EXPECT_THROW(CsvLineDecoder(kMaxChannels + 1, SampleFormat::int32), std::invalid_argument);
}

}  // namespace
}  // namespace hoplab::acquisition::wire
