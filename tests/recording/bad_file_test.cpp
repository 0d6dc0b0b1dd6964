// Files that are not (readable) hoplab recordings give a RecordingError that says what is wrong,
// never a crash.

#include "test_session.hpp"

#include <hoplab/recording/format.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/recording/session_writer.hpp>
#include <hoplab/version.hpp>

#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdio>
#include <fstream>
#include <random>

namespace hoplab::recording {
namespace {

using testing::make_devices;
using testing::make_session;
using testing::ScratchDir;

std::string open_error(const std::filesystem::path& file) {
    try {
        const SessionReader reader(file);
        (void)reader.trials();
    } catch (const RecordingError& error) {
        return error.what();
    }
    return "(no error)";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::filesystem::path write_session(const ScratchDir& scratch, const std::string& name) {
    const auto file = scratch.file(name);
    SessionWriter writer(file, make_session(), make_devices());
    for (std::uint64_t b = 0; b < 40; ++b) {
        writer.append_raw(0, BlockRecord{b * 100, 100, 0, 0},
                          testing::raw_counts(0, b * 100, 100, 6));
    }
    writer.begin_trial(
        TrialStart{"t1", processing::Protocol::cmj, processing::Limb::left, "", {}, ""});
    writer.append_trial_force(0, testing::trial_wrenches(0, 0, 3000));
    writer.end_trial(TrialEnd{});
    return file;
}

// An HDF5 file written the way another program would: optionally a root `format` attribute, an
// integer `format_version` and a `software_version`.
void write_foreign(const std::filesystem::path& file, const char* format, long long version) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t id = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t space = H5Screate(H5S_SCALAR);
    if (format != nullptr) {
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        const hid_t attribute = H5Acreate2(id, "format", type, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(attribute, type, &format);
        H5Aclose(attribute);
        const char* software = "9.9.9";
        const hid_t software_attribute =
            H5Acreate2(id, "software_version", type, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(software_attribute, type, &software);
        H5Aclose(software_attribute);
        H5Tclose(type);
        const hid_t version_attribute =
            H5Acreate2(id, "format_version", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(version_attribute, H5T_NATIVE_LLONG, &version);
        H5Aclose(version_attribute);
    }
    const hid_t group = H5Gcreate2(id, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(group);
    H5Sclose(space);
    H5Fclose(id);
}

TEST(BadFileTest, MissingFile) {
    ScratchDir scratch;
    const std::string message = open_error(scratch.file("nope.h5"));
    EXPECT_TRUE(contains(message, "nope.h5: /: no such file")) << message;
}

TEST(BadFileTest, NotHdf5) {
    ScratchDir scratch;
    const auto file = scratch.file("notes.h5");
    std::ofstream(file) << "time,fz\n0.000,12.5\n0.001,13.0\n";
    const std::string message = open_error(file);
    EXPECT_TRUE(contains(message, "not an HDF5 file")) << message;
}

TEST(BadFileTest, Hdf5FromAnotherProgram) {
    ScratchDir scratch;
    const auto file = scratch.file("other.h5");
    write_foreign(file, nullptr, 0);
    const std::string message = open_error(file);
    EXPECT_TRUE(contains(
        message, "other.h5: /@format: not a hoplab recording: an HDF5 file from another program"))
        << message;
}

TEST(BadFileTest, OtherFormatAttribute) {
    ScratchDir scratch;
    const auto file = scratch.file("nwb.h5");
    write_foreign(file, "NWB", 2);
    const std::string message = open_error(file);
    EXPECT_TRUE(contains(message, "format is 'NWB', not 'hoplab-recording'")) << message;
}

TEST(BadFileTest, NewerFormatVersion) {
    ScratchDir scratch;
    const auto file = scratch.file("future.h5");
    write_foreign(file, "hoplab-recording", kFormatVersion + 1);
    const std::string message = open_error(file);
    EXPECT_TRUE(contains(message, "future.h5: /@format_version: written by hoplab 9.9.9, format " +
                                      std::to_string(kFormatVersion + 1) +
                                      "; this reader reads up to " +
                                      std::to_string(kFormatVersion)))
        << message;
}

TEST(BadFileTest, TruncatedFile) {
    ScratchDir scratch;
    const auto file = write_session(scratch, "cut.h5");
    const auto size = std::filesystem::file_size(file);
    for (const double fraction : {0.9, 0.5, 0.1}) {
        const auto copy = scratch.file("cut-" + std::to_string(fraction) + ".h5");
        std::filesystem::copy_file(file, copy);
        std::filesystem::resize_file(
            copy, static_cast<std::uintmax_t>(static_cast<double>(size) * fraction));
        const std::string message = open_error(copy);
        EXPECT_TRUE(contains(message, "truncated")) << fraction << ": " << message;
    }
}

// A corrupt superblock once made the SWMR-read fallback spin: HDF5 retries a metadata read 100
// times with a doubling sleep (2^100 ns). The reader now limits the retries; this test would hang.
TEST(BadFileTest, CorruptBytesGiveAnErrorNotACrash) {
    ScratchDir scratch;
    const auto file = write_session(scratch, "good.h5");
    const auto size = std::filesystem::file_size(file);
    std::mt19937 random(12345);
    int errors = 0;
    int opened = 0;
    // Overwrite a 256-byte run at 200 places (superblock, object headers, B-trees, data); every
    // outcome must be a readable file or a RecordingError, and the run past the superblock must be
    // noticed at least once.
    for (int trial = 0; trial < 200; ++trial) {
        const auto copy = scratch.file("bad-" + std::to_string(trial) + ".h5");
        std::filesystem::copy_file(file, copy);
        std::fstream stream(copy, std::ios::in | std::ios::out | std::ios::binary);
        const auto at = trial == 0 ? 0U : random() % (size - 256);
        stream.seekp(static_cast<std::streamoff>(at));
        for (int k = 0; k < 256; ++k) {
            stream.put(static_cast<char>(random() & 0xff));
        }
        stream.close();
        try {
            const SessionReader reader(copy);
            for (const auto& trial_info : reader.trials()) {
                for (const auto& device : trial_info.devices) {
                    (void)reader.trial_force(trial_info.id, device);
                }
            }
            for (const auto& device : reader.devices()) {
                (void)reader.raw_samples(device.name);
                (void)reader.blocks(device.name);
            }
            ++opened;
        } catch (const RecordingError&) {
            ++errors;
        } catch (const std::out_of_range&) {
            ++errors;
        }
    }
    std::printf("corrupted copies: %d opened and read, %d refused with an error\n", opened, errors);
    EXPECT_EQ(opened + errors, 200);
    EXPECT_GE(errors, 1);  // at least the overwritten superblock (trial 0)
}

}  // namespace
}  // namespace hoplab::recording
