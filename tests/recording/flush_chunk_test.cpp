// A flush of a compressed raw stream stores the partial last chunk with its filters skipped instead
// of deflating it again at every flush; the write that completes the chunk stores it deflated, and
// so does the close. Readers must see the same rows either way. Checked through HDF5's chunk index
// (each chunk's filter mask: 0 = deflated, non-zero = filters skipped).

#include "test_session.hpp"

#include <hoplab/recording/session_reader.hpp>
#include <hoplab/recording/session_writer.hpp>

#include <gtest/gtest.h>

#include <hdf5.h>
#include <random>

namespace hoplab::recording {
namespace {

using testing::make_devices;
using testing::make_session;
using testing::ScratchDir;

constexpr std::size_t kChunkRows = 64;

struct ChunkState {
    unsigned filter_mask = 0;
    hsize_t bytes = 0;
};

// The chunk of /streams/left/raw that starts at `row`. While this process's writer has the file,
// HDF5 shares its open file (the access flags must match the writer's: no file locking), so this
// sees the writer's chunk index; what a separate SWMR reader sees after a flush, values included,
// is CrashRecoveryTest's (compressed runs).
ChunkState chunk_at(const std::filesystem::path& file, hsize_t row) {
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(fapl, false, true);
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, fapl);
    EXPECT_GE(f, 0);
    const hid_t d = H5Dopen2(f, "/streams/left/raw", H5P_DEFAULT);
    EXPECT_GE(d, 0);
    const hsize_t offset[2] = {row, 0};
    ChunkState state;
    haddr_t address = 0;
    EXPECT_GE(H5Dget_chunk_info_by_coord(d, offset, &state.filter_mask, &address, &state.bytes), 0);
    H5Dclose(d);
    H5Fclose(f);
    H5Pclose(fapl);
    return state;
}

void expect_rows(const std::filesystem::path& file, std::uint64_t rows) {
    const SessionReader reader(file);
    ASSERT_EQ(reader.raw_sample_count("left"), rows);
    const RawSamples raw = reader.raw_samples("left", 0, rows);
    for (std::uint64_t row = 0; row < rows; ++row) {
        for (std::size_t c = 0; c < 6; ++c) {
            ASSERT_EQ(raw.values[row * 6 + c], static_cast<double>(testing::raw_count(0, row, c)))
                << "row " << row << " channel " << c;
        }
    }
}

TEST(FlushChunk, APartialChunkIsShownUnfilteredAndStoredDeflatedOnceComplete) {
    ScratchDir scratch;
    const auto file = scratch.file("chunks.h5");
    WriterOptions options;
    options.compress_raw = true;
    options.chunk_rows = kChunkRows;
    options.flush_interval = std::chrono::hours(1);  // only the explicit flushes
    constexpr hsize_t kChunkBytes = kChunkRows * 6 * sizeof(std::int32_t);
    SessionWriter writer(file, make_session(), make_devices(), options);
    std::uint64_t next = 0;
    const auto append = [&](std::uint32_t n) {
        writer.append_raw(0, BlockRecord{next, n, 0, 0}, testing::raw_counts(0, next, n, 6));
        next += n;
    };

    append(40);
    writer.flush();
    EXPECT_NE(chunk_at(file, 0).filter_mask, 0U);  // shown as it is in memory
    EXPECT_EQ(chunk_at(file, 0).bytes, kChunkBytes);

    append(30);  // 70 rows: the first chunk is complete, the second holds 6 rows
    writer.flush();
    const ChunkState shown = chunk_at(file, kChunkRows);
    EXPECT_NE(shown.filter_mask, 0U);  // stored as it is in memory
    EXPECT_EQ(shown.bytes, kChunkBytes);

    append(20);  // 90 rows: still the second chunk, shown again
    writer.flush();
    EXPECT_NE(chunk_at(file, kChunkRows).filter_mask, 0U);

    append(40);  // 130 rows: completes the second chunk (deflated once), starts the third
    writer.flush();
    EXPECT_EQ(chunk_at(file, 0).filter_mask, 0U);
    EXPECT_EQ(chunk_at(file, kChunkRows).filter_mask, 0U);
    EXPECT_NE(chunk_at(file, 2 * kChunkRows).filter_mask, 0U);

    // A trial boundary reopens the file: the shown tail is stored encoded as a whole chunk and
    // stays buffered; later rows continue it (shown unfiltered again, then encoded at the close).
    writer.begin_trial(
        TrialStart{"t", processing::Protocol::cmj, processing::Limb::left, "", {}, ""});
    EXPECT_EQ(chunk_at(file, 2 * kChunkRows).filter_mask, 0U);
    EXPECT_LT(chunk_at(file, 2 * kChunkRows).bytes, kChunkBytes);
    append(10);
    writer.flush();
    EXPECT_NE(chunk_at(file, 2 * kChunkRows).filter_mask, 0U);
    writer.end_trial(TrialEnd{});
    append(5);
    writer.close();  // stores the tail encoded
    expect_rows(file, 145);
    for (hsize_t row = 0; row < 145; row += kChunkRows) {
        EXPECT_EQ(chunk_at(file, row).filter_mask, 0U) << "chunk at row " << row;
    }
}

}  // namespace
}  // namespace hoplab::recording

namespace hoplab::recording {
namespace {

// Appends of random sizes to two compressed streams, flushes (shown tails) and trial boundaries
// (committed tails, the file reopened) in a random order: every sample must read back, and after
// the close every chunk must be stored deflated. Deterministic (fixed seed); 400 steps.
TEST(FlushChunk, RandomAppendsFlushesAndTrialBoundariesReadBackExactly) {
    ScratchDir scratch;
    const auto file = scratch.file("random.h5");
    WriterOptions options;
    options.compress_raw = true;
    options.chunk_rows = kChunkRows;
    options.flush_interval = std::chrono::hours(1);
    std::uint64_t next = 0;
    {
        SessionWriter writer(file, make_session(), make_devices(), options);
        std::mt19937 random(2026);
        std::uniform_int_distribution<std::uint32_t> rows(1, 100);
        std::uniform_real_distribution<double> chance(0.0, 1.0);
        int trials = 0;
        for (int step = 0; step < 400; ++step) {
            const std::uint32_t n = rows(random);
            for (std::size_t d = 0; d < 2; ++d) {
                writer.append_raw(d, BlockRecord{next, n, 0, 0},
                                  testing::raw_counts(d, next, n, 6));
            }
            next += n;
            const double roll = chance(random);
            if (roll < 0.3) {
                writer.flush();
            } else if (roll < 0.35) {
                if (writer.trial_open()) {
                    writer.end_trial(TrialEnd{});
                } else {
                    std::string id = "t";
                    id += std::to_string(++trials);
                    writer.begin_trial(TrialStart{
                        id, processing::Protocol::cmj, processing::Limb::left, "", {}, ""});
                }
            }
        }
        writer.close();
    }
    expect_rows(file, next);
    for (hsize_t row = 0; row + kChunkRows <= next; row += kChunkRows) {
        ASSERT_EQ(chunk_at(file, row).filter_mask, 0U) << "chunk at row " << row;
    }
}

}  // namespace
}  // namespace hoplab::recording
