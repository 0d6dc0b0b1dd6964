#pragma once

#include <hoplab/recording/recording_error.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hoplab::recording {

struct StreamRecovery {
    std::string device;
    std::uint64_t samples = 0;  // raw rows that survived
    std::uint64_t blocks = 0;
    std::uint64_t gaps = 0;
};

struct TrialRecovery {
    std::string id;
    std::string status;              // after recovery
    std::uint64_t samples = 0;       // calibrated rows of the trial's first device
    bool ended_by_recovery = false;  // it was still "recording": recover() marked it aborted
};

struct RecoveryReport {
    std::filesystem::path file;
    bool was_closed_cleanly = false;  // the writer had closed it: nothing needed doing
    bool status_flags_cleared =
        false;  // the superblock said "open for writing" and no longer does (h5clear -s)
    std::vector<StreamRecovery> streams;
    std::vector<TrialRecovery> trials;
    std::size_t trials_complete = 0;
    std::size_t trials_aborted = 0;
    std::vector<std::string> actions;  // what recover() did, one sentence each
};

// Makes a session file left by a killed writer readable and reports what survived. It clears the
// superblock's "open for writing" flags the way `h5clear -s` does (HDF5 1.10.8's file-access
// property "clear_status_flags"), marks trials still "recording" as "aborted: writer stopped before
// the trial ended", brings the streams' summary attributes (samples, gaps, clock map) up to date
// and stamps /@recovered_utc. Safe to run on a clean file (it only reports). Must not run while a
// writer is alive. Throws RecordingError for a file that is not a hoplab recording, is newer than
// this library, or that HDF5 cannot open even with the flags cleared (h5clear is no repair tool: a
// file killed outside SWMR mode can be corrupt).
RecoveryReport recover(const std::filesystem::path& file);

}  // namespace hoplab::recording
