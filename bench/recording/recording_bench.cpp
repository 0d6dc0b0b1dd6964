// Raw append rate of SessionWriter against a bare H5Dwrite of the same data with the same chunking.
//
// Data: one float32_volts device, 8 channels at a nominal 1000 Hz, delivered in blocks of 100
// samples (a 100 ms frame, the daemon's typical block). Values are a slow sine per channel plus ±4
// LSB of 24-bit ADC noise, which is what a loaded plate looks like to deflate. Chunks are 4096 rows
// × 8 channels × 4 B = 128 KiB (reference §3.2).
//
// Each append case writes the same 250 MiB; run with --benchmark_repetitions=3 for a spread.
// Cases (items/s = samples per second, one sample = one row of 8 channels):
//   SessionWriterAppend/compress:0|1  append_raw per block, the writer's own chunk buffering and
//   its default 250 ms
//                                      flush cadence, SWMR mode, a block table row per block
//   ReferenceH5Dwrite/compress:0|1    the same rows as whole chunks: H5Dset_extent + H5Dwrite of
//   4096 rows,
//                                      H5Fflush every 250 ms, SWMR mode; no block table
//   TrialBoundary                      begin_trial + end_trial on a session: the cost of leaving
//   and re-entering
//                                      SWMR mode twice (close, reopen, create the trial's objects,
//                                      start SWMR)

#include <hoplab/recording/session_writer.hpp>

#include <benchmark/benchmark.h>
#include <hdf5.h>

#include <unistd.h>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

using hoplab::recording::BlockRecord;
using hoplab::recording::DeviceInfo;
using hoplab::recording::RawFormat;
using hoplab::recording::SessionInfo;
using hoplab::recording::SessionWriter;
using hoplab::recording::WriterOptions;

constexpr std::size_t kChannels = 8;
constexpr std::size_t kBlockSamples = 100;
constexpr std::size_t kChunkRows = 4096;
constexpr std::size_t kSignalRows = 64 * kChunkRows;  // 8 MiB of samples, cycled
// Both append cases write the same volume (2000 chunks, 250 MiB): the page cache's write-back
// throttling makes the rate depend on how much has been written, so a time-based run would compare
// unequal volumes.
constexpr std::size_t kBenchSamples = 2000 * kChunkRows;

std::filesystem::path scratch_file(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           ("hoplab-bench-" + std::to_string(::getpid()) + "-" + name);
}

const std::vector<float>& signal() {
    static const std::vector<float> values = [] {
        std::vector<float> out(kSignalRows * kChannels);
        std::mt19937 random(7);
        std::uniform_int_distribution<int> noise(-4, 4);
        const float lsb = 2.5F / 8388608.0F;  // 24-bit ADC, ±2.5 V
        for (std::size_t row = 0; row < kSignalRows; ++row) {
            for (std::size_t c = 0; c < kChannels; ++c) {
                const double t = static_cast<double>(row) / 1000.0;
                const double volts = 0.8 * std::sin(2.0 * 3.141592653589793 *
                                                    (0.5 + 0.1 * static_cast<double>(c)) * t);
                out[row * kChannels + c] = std::round(static_cast<float>(volts) / lsb +
                                                      static_cast<float>(noise(random))) *
                                           lsb;
            }
        }
        return out;
    }();
    return values;
}

DeviceInfo bench_device() {
    DeviceInfo device;
    device.name = "plate";
    device.model = "bench";
    device.transport = "memory";
    device.rate_hz = 1000.0;
    device.raw_format = RawFormat::float32_volts;
    for (std::size_t c = 0; c < kChannels; ++c) {
        device.channel_names.push_back("ch" + std::to_string(c));
    }
    return device;
}

void SessionWriterAppend(benchmark::State& state) {
    const auto file = scratch_file("writer.h5");
    std::filesystem::remove(file);
    WriterOptions options;
    options.compress_raw = state.range(0) != 0;
    options.chunk_rows = kChunkRows;
    const auto& values = signal();
    std::uint64_t next = 0;
    {
        SessionWriter writer(file, SessionInfo{}, {bench_device()}, options);
        for (auto _ : state) {
            const std::size_t row =
                (next / kBlockSamples) % (kSignalRows / kBlockSamples) * kBlockSamples;
            const std::span<const float> block(values.data() + row * kChannels,
                                               kBlockSamples * kChannels);
            writer.append_raw(
                0,
                BlockRecord{next, kBlockSamples, static_cast<std::int64_t>(next) * 1'000'000,
                            static_cast<std::int64_t>(next) * 1'000'000},
                block);
            next += kBlockSamples;
        }
        writer.close();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(next));
    state.counters["MiB_on_disk"] =
        static_cast<double>(std::filesystem::file_size(file)) / 1048576.0;
    state.counters["compression_ratio"] = static_cast<double>(next * kChannels * sizeof(float)) /
                                          static_cast<double>(std::filesystem::file_size(file));
    std::filesystem::remove(file);
}
BENCHMARK(SessionWriterAppend)
    ->ArgName("compress")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(kBenchSamples / kBlockSamples);

void ReferenceH5Dwrite(benchmark::State& state) {
    const auto file = scratch_file("reference.h5");
    std::filesystem::remove(file);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    const hid_t id = H5Fcreate(file.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    const hsize_t dims[2] = {0, kChannels};
    const hsize_t max_dims[2] = {H5S_UNLIMITED, kChannels};
    const hsize_t chunk[2] = {kChunkRows, kChannels};
    const hid_t space = H5Screate_simple(2, dims, max_dims);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    if (state.range(0) != 0) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 1);
    }
    const hid_t dataset =
        H5Dcreate2(id, "raw", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Fstart_swmr_write(id);
    const auto& values = signal();
    hsize_t rows = 0;
    auto last_flush = std::chrono::steady_clock::now();
    for (auto _ : state) {
        const hsize_t new_dims[2] = {rows + kChunkRows, kChannels};
        H5Dset_extent(dataset, new_dims);
        const hid_t file_space = H5Dget_space(dataset);
        const hsize_t start[2] = {rows, 0};
        H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, chunk, nullptr);
        const hid_t memory_space = H5Screate_simple(2, chunk, nullptr);
        const std::size_t row = rows % kSignalRows;
        H5Dwrite(dataset, H5T_NATIVE_FLOAT, memory_space, file_space, H5P_DEFAULT,
                 values.data() + row * kChannels);
        H5Sclose(memory_space);
        H5Sclose(file_space);
        rows += kChunkRows;
        if (std::chrono::steady_clock::now() - last_flush >= std::chrono::milliseconds(250)) {
            H5Fflush(id, H5F_SCOPE_LOCAL);
            last_flush = std::chrono::steady_clock::now();
        }
    }
    H5Dclose(dataset);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(id);
    H5Pclose(fapl);
    state.SetItemsProcessed(static_cast<std::int64_t>(rows));
    state.counters["compression_ratio"] = static_cast<double>(rows * kChannels * sizeof(float)) /
                                          static_cast<double>(std::filesystem::file_size(file));
    std::filesystem::remove(file);
}
BENCHMARK(ReferenceH5Dwrite)
    ->ArgName("compress")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(kBenchSamples / kChunkRows);

void TrialBoundary(benchmark::State& state) {
    const auto file = scratch_file("trials.h5");
    std::filesystem::remove(file);
    WriterOptions options;
    options.chunk_rows = kChunkRows;
    std::vector<DeviceInfo> devices{bench_device(), bench_device()};
    devices[1].name = "plate-2";
    std::size_t trial = 0;
    {
        SessionWriter writer(file, SessionInfo{}, devices, options);
        for (auto _ : state) {
            writer.begin_trial(hoplab::recording::TrialStart{"trial-" + std::to_string(++trial),
                                                             hoplab::processing::Protocol::cmj,
                                                             hoplab::processing::Limb::both,
                                                             "",
                                                             {},
                                                             ""});
            writer.end_trial(hoplab::recording::TrialEnd{});
        }
    }
    std::filesystem::remove(file);
}
BENCHMARK(TrialBoundary)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
