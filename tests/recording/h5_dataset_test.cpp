// h5::Dataset::can_write_unfiltered decides whether a flush may store a partial chunk with
// H5Dwrite_chunk, which writes one whole chunk at column 0. The datasets here are made with the
// HDF5 C API so that their chunk shapes differ from the writer's own: a chunk that spans fewer
// columns than a 2-D dataset has must be refused, or the other columns would never be written.

#include "h5.hpp"
#include "test_session.hpp"

#include <gtest/gtest.h>

#include <hdf5.h>

#include <array>
#include <span>
#include <string>

namespace hoplab::recording {
namespace {

using testing::ScratchDir;

constexpr hsize_t kChunkRows = 64;
constexpr hsize_t kColumns = 6;

// Creates an empty, growable int32 dataset `name` with the given chunk shape (its rank is the
// chunk's) and, when `deflate`, shuffle + deflate level 1 as the writer's raw streams.
void create_dataset(hid_t file, const char* name, std::span<const hsize_t> chunk, bool deflate) {
    const int rank = static_cast<int>(chunk.size());
    const std::array<hsize_t, 2> dims{0, kColumns};
    const std::array<hsize_t, 2> max_dims{H5S_UNLIMITED, kColumns};
    const hid_t space = H5Screate_simple(rank, dims.data(), max_dims.data());
    const hid_t create = H5Pcreate(H5P_DATASET_CREATE);
    ASSERT_GE(H5Pset_chunk(create, rank, chunk.data()), 0);
    if (deflate) {
        ASSERT_GE(H5Pset_shuffle(create), 0);
        ASSERT_GE(H5Pset_deflate(create, 1), 0);
    }
    const hid_t dataset =
        H5Dcreate2(file, name, H5T_STD_I32LE, space, H5P_DEFAULT, create, H5P_DEFAULT);
    ASSERT_GE(dataset, 0) << name;
    H5Dclose(dataset);
    H5Pclose(create);
    H5Sclose(space);
}

TEST(H5Dataset, CanWriteUnfilteredOnlyWhenTheChunkSpansEveryColumn) {
    const ScratchDir dir;
    const auto path = dir.file("chunks.h5");
    {
        const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
        ASSERT_GE(file, 0);
        const std::array<hsize_t, 2> whole_rows{kChunkRows, kColumns};
        const std::array<hsize_t, 2> one_column{kChunkRows, 1};
        const std::array<hsize_t, 2> half_columns{kChunkRows, kColumns / 2};
        const std::array<hsize_t, 1> records{kChunkRows};
        create_dataset(file, "whole_rows", whole_rows, true);
        create_dataset(file, "one_column", one_column, true);
        create_dataset(file, "half_columns", half_columns, true);
        create_dataset(file, "whole_rows_unfiltered", whole_rows, false);
        create_dataset(file, "records", records, true);
        H5Fclose(file);
    }
    const h5::File file = h5::File::open(path, H5F_ACC_RDONLY, h5::FileAccess{});
    const h5::Group root = file.root();
    const auto can = [&](const char* name, hsize_t chunk_rows, hid_t memory_type) {
        return root.open_dataset(name).can_write_unfiltered(chunk_rows, memory_type);
    };
    EXPECT_TRUE(can("whole_rows", kChunkRows, H5T_NATIVE_INT32));
    // The defect: only the chunk's row count was compared, so these two answered true.
    EXPECT_FALSE(can("one_column", kChunkRows, H5T_NATIVE_INT32));
    EXPECT_FALSE(can("half_columns", kChunkRows, H5T_NATIVE_INT32));
    // The conditions checked before, still refused.
    EXPECT_FALSE(can("whole_rows", kChunkRows / 2, H5T_NATIVE_INT32));
    EXPECT_FALSE(can("whole_rows", kChunkRows, H5T_NATIVE_FLOAT));
    EXPECT_FALSE(can("whole_rows_unfiltered", kChunkRows, H5T_NATIVE_INT32));
    // A 1-D table of records: its chunk of rows is the whole of each record.
    EXPECT_TRUE(can("records", kChunkRows, H5T_NATIVE_INT32));
}

}  // namespace
}  // namespace hoplab::recording
