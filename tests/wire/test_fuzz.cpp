// Random and damaged input through every decoder: none may crash (run under the sanitizers in CI
// for memory errors) and none may yield a message from a damaged frame. CRC-32C detects every error
// of up to 3 flipped bits in frames this short, and a random byte string must match a magic, a
// version, a header CRC and a frame CRC by chance, so the expected number of accepted damaged
// frames is exactly 0.

#include <hoplab/acquisition/wire/codec.hpp>
#include <hoplab/acquisition/wire/csv_line_decoder.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace hoplab::acquisition::wire {
namespace {

std::vector<std::vector<std::uint8_t>> valid_frames() {
    Hello hello{"left",
                "sim",
                "SIM-1",
                "cells4",
                1000.0,
                {"c1", "c2", "c3", "c4"},
                {"count", "count", "count", "count"},
                SampleFormat::int32,
                1'000'000'000};
    DataBlock block;
    block.first_sample_index = 12'345;
    block.device_time_ns = 987'654'321;
    block.n_samples = 10;
    block.n_channels = 4;
    for (int i = 0; i < 40; ++i) {
        block.counts.push_back(i - 20);  // small values: many zero bytes, which COBS must handle
    }
    return {encode(Message{3, 0, 0, hello}), encode(Message{3, 1, 0, block}),
            encode(Message{3, 2, 0, Heartbeat{1, 2, 3, 4}}),
            encode(Message{3, 3, 0, Status{5, 6, "overrun"}})};
}

std::size_t messages_from(std::vector<std::uint8_t> bytes) {
    std::size_t messages = 0;
    StreamDecoder stream;
    stream.feed(bytes);
    while (auto result = stream.next()) {
        messages += std::holds_alternative<Message>(*result) ? 1 : 0;
    }
    messages += std::holds_alternative<Message>(decode_datagram(bytes)) ? 1 : 0;
    CobsDecoder serial;
    bytes.push_back(0);  // as if the damage happened after COBS framing
    serial.feed(bytes);
    while (auto result = serial.next()) {
        messages += std::holds_alternative<Message>(*result) ? 1 : 0;
    }
    return messages;
}

TEST(Fuzz, RandomBytesAndBitFlipsNeverCrashOrYieldADamagedMessage) {
    std::mt19937 random(2026);
    const auto frames = valid_frames();
    std::size_t damaged_accepted = 0;
    std::size_t intact_accepted = 0;
    constexpr int kTrials = 100'000;
    for (int trial = 0; trial < kTrials; ++trial) {
        std::vector<std::uint8_t> bytes;
        switch (trial % 4) {
            case 0:  // random length and content
                bytes.resize(random() % 300);
                for (auto& b : bytes) {
                    b = static_cast<std::uint8_t>(random());
                }
                break;
            case 1:  // a valid frame with 1-3 bits flipped
            case 2: {
                bytes = frames[random() % frames.size()];
                const auto flips = 1 + random() % 3;
                std::vector<std::size_t> bits;
                while (bits.size() < flips) {
                    const std::size_t bit = random() % (bytes.size() * 8);
                    if (std::find(bits.begin(), bits.end(), bit) == bits.end()) {
                        bits.push_back(bit);
                    }
                }
                for (auto bit : bits) {
                    bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
                }
                break;
            }
            default: {  // a valid frame cut short, then its COBS encoding damaged in one byte
                const auto& frame = frames[random() % frames.size()];
                bytes.assign(frame.begin(),
                             frame.begin() + static_cast<std::ptrdiff_t>(random() % frame.size()));
                auto encoded = cobs_encode(frame);
                encoded[random() % (encoded.size() - 1)] =
                    static_cast<std::uint8_t>(1 + random() % 255);
                CobsDecoder serial;
                serial.feed(encoded);
                while (auto result = serial.next()) {
                    if (auto* message = std::get_if<Message>(&*result)) {
                        // The replaced byte may equal the original: then the frame is intact and
                        // must decode right.
                        if (encode(*message) == frame) {
                            ++intact_accepted;
                        } else {
                            ++damaged_accepted;
                        }
                    }
                }
                break;
            }
        }
        damaged_accepted += messages_from(bytes);
    }
    EXPECT_EQ(damaged_accepted, 0u);
    EXPECT_LT(intact_accepted,
              static_cast<std::size_t>(kTrials / 4 / 100));  // 1/255 per trial ≈ 98 of 25,000
}

TEST(Fuzz, RandomTextNeverCrashesTheCsvDecoder) {
    std::mt19937 random(7);
    const std::string alphabet = "0123456789+-.,; \t\r\neE#naif";
    CsvLineDecoder decoder(3, SampleFormat::float32);
    std::size_t messages = 0;
    std::size_t errors = 0;
    for (int trial = 0; trial < 100'000; ++trial) {
        std::vector<std::uint8_t> bytes(random() % 40);
        for (auto& b : bytes) {
            b = trial % 8 == 0 ? static_cast<std::uint8_t>(random())
                               : static_cast<std::uint8_t>(alphabet[random() % alphabet.size()]);
        }
        decoder.feed(bytes);
        while (auto result = decoder.next()) {
            if (auto* message = std::get_if<Message>(&*result)) {
                const auto& block = std::get<DataBlock>(message->body);
                ++messages;
                ASSERT_EQ(block.values.size(), 3u);
                for (float v : block.values) {
                    ASSERT_TRUE(std::isfinite(v));
                }
            } else {
                ++errors;
            }
        }
    }
    EXPECT_GT(
        errors,
        0u);  // the alphabet makes both outcomes common; neither count is the point, no crash is
    EXPECT_GT(messages, 0u);
}

}  // namespace
}  // namespace hoplab::acquisition::wire
