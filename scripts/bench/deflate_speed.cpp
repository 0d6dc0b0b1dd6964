// zlib against libdeflate on the lab bench's raw stream (docs/performance.md, session 9): the
// deflate of one chunk as the recorder writes it (HDF5's shuffle, then a zlib stream).
//
// build: g++ -std=c++20 -O2 -o /tmp/deflate_speed scripts/bench/deflate_speed.cpp -lz -ldeflate
// run:   /tmp/deflate_speed
//        (per level 1, 2, 6: MB/s of raw chunk and compression ratio for each, and the speed-up;
//        each level twice, alternating the two libraries chunk by chunk)
//
// The signal is bench/acquisition's (frame_sender.cpp, bench_signal): 8 float32 channels of a
// 0.8 V sine quantised to a 24-bit ±2.5 V ADC with ±4 LSB of noise, in 1024-row chunks (hoplabd's
// chunk at 2 kHz and 250 ms flushes).
#include <libdeflate.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

int main() {
    constexpr std::size_t kChannels = 8, kRows = 65536, kChunkRows = 1024;
    std::vector<float> signal(kRows * kChannels);
    std::mt19937 random(7);
    std::uniform_int_distribution<int> noise(-4, 4);
    const float lsb = 2.5F / 8388608.0F;
    for (std::size_t row = 0; row < kRows; ++row) {
        for (std::size_t c = 0; c < kChannels; ++c) {
            const double t_s = static_cast<double>(row) / 2000.0;
            const double volts = 0.8 * std::sin(2.0 * 3.141592653589793 *
                                                (0.5 + 0.1 * static_cast<double>(c)) * t_s);
            signal[row * kChannels + c] =
                std::round(static_cast<float>(volts) / lsb + static_cast<float>(noise(random))) *
                lsb;
        }
    }
    const std::size_t chunk_bytes = kChunkRows * kChannels * sizeof(float);
    const std::size_t chunks = kRows / kChunkRows;
    std::vector<unsigned char> shuffled(chunk_bytes), out(chunk_bytes * 2);
    const auto shuffle = [&](const unsigned char* chunk) {
        const std::size_t n = chunk_bytes / sizeof(float);
        for (std::size_t b = 0; b < sizeof(float); ++b) {
            for (std::size_t i = 0; i < n; ++i) {
                shuffled[b * n + i] = chunk[i * sizeof(float) + b];
            }
        }
    };
    const auto* bytes = reinterpret_cast<const unsigned char*>(signal.data());
    for (const int level : {1, 2, 6}) {
        for (int repeat = 0; repeat < 2; ++repeat) {
            libdeflate_compressor* compressor = libdeflate_alloc_compressor(level);
            double zlib_s = 0, libdeflate_s = 0;
            std::size_t zlib_bytes = 0, libdeflate_bytes = 0;
            constexpr int kPasses = 20;
            for (int pass = 0; pass < kPasses; ++pass) {
                for (std::size_t k = 0; k < chunks; ++k) {
                    shuffle(bytes + k * chunk_bytes);
                    const auto t0 = std::chrono::steady_clock::now();
                    uLongf n = out.size();
                    compress2(out.data(), &n, shuffled.data(), chunk_bytes, level);
                    const auto t1 = std::chrono::steady_clock::now();
                    const std::size_t m = libdeflate_zlib_compress(
                        compressor, shuffled.data(), chunk_bytes, out.data(), out.size());
                    const auto t2 = std::chrono::steady_clock::now();
                    zlib_bytes += n;
                    libdeflate_bytes += m;
                    zlib_s += std::chrono::duration<double>(t1 - t0).count();
                    libdeflate_s += std::chrono::duration<double>(t2 - t1).count();
                }
            }
            libdeflate_free_compressor(compressor);
            const double total = static_cast<double>(kPasses * chunks * chunk_bytes);
            std::printf(
                "level %d: zlib %.1f MB/s ratio %.3f | libdeflate %.1f MB/s ratio %.3f | speed-up "
                "%.2f\n",
                level, total / zlib_s / 1e6, total / static_cast<double>(zlib_bytes),
                total / libdeflate_s / 1e6, total / static_cast<double>(libdeflate_bytes),
                zlib_s / libdeflate_s);
        }
    }
}
