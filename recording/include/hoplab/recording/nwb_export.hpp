#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace hoplab::recording {

struct NwbExportSummary {
    std::size_t trials = 0;
    std::size_t time_series = 0;
};

// Writes the chosen trials (all when `trial_ids` is empty) of a session file to a new HDF5 file
// laid out like an NWB 2 file (core names: /acquisition TimeSeries, /intervals/trials,
// /general/subject, /processing), for tools that expect that shape. It is not a validated NWB file
// and does not claim an `nwb_version`; docs/recording-format.md §11 lists every object. Throws
// RecordingError naming the file and object for an unreadable source, an unknown trial id, a trial
// without calibrated force or an output that exists or cannot be written (nothing is left behind).
NwbExportSummary export_nwb_like(const std::filesystem::path& session_file,
                                 const std::filesystem::path& out,
                                 const std::vector<std::string>& trial_ids);

}  // namespace hoplab::recording
