#include <hoplab/recording/format.hpp>
#include <hoplab/recording/recovery_report.hpp>
#include <hoplab/recording/session_reader.hpp>

#include "clock_fit.hpp"
#include "h5.hpp"
#include "layout.hpp"
#include "utc_clock.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <string>

namespace hoplab::recording {
namespace {

// Checks the root attributes before anything is written, so a foreign or newer file is never
// touched.
void require_hoplab_file(const h5::Group& root) {
    if (!root.has_attribute("format") || root.read_string_attribute("format") != kFormatName) {
        throw RecordingError(
            root.file(), "/@format",
            "not a hoplab recording: recover() only repairs files written by hoplab");
    }
    const std::int64_t version = root.read_int_attribute("format_version");
    if (version > kFormatVersion) {
        throw RecordingError(
            root.file(), "/@format_version",
            "format " + std::to_string(version) + " is newer than this library (reads up to " +
                std::to_string(kFormatVersion) + "): recover it with a newer hoplab");
    }
}

void update_stream_attributes(const h5::Group& root) {
    if (!root.has_child("streams")) {
        return;
    }
    const h5::Group streams = root.open_group("streams");
    for (const auto& name : streams.child_names()) {
        const h5::Group group = streams.open_group(name);
        const h5::Dataset raw = group.open_dataset("raw");
        const h5::Dataset blocks = group.open_dataset("blocks");
        const h5::Dataset gaps = group.open_dataset("gaps");
        std::vector<layout::BlockRow> block_rows(blocks.rows());
        const h5::Handle block_type = layout::block_memory_type();
        blocks.read(0, block_rows.size(), block_rows.data(), block_type.id());
        std::vector<layout::GapRow> gap_rows(gaps.rows());
        const h5::Handle gap_type = layout::gap_memory_type();
        gaps.read(0, gap_rows.size(), gap_rows.data(), gap_type.id());
        std::uint64_t missing = 0;
        for (const auto& gap : gap_rows) {
            missing += gap.count;
        }
        ClockFit fit;
        const double rate_hz = raw.read_double_attribute("rate");
        for (const auto& block : block_rows) {
            // A block row can be flushed while part of its samples are not: it still counts for the
            // clock.
            fit.add_block(block.device_time_ns, block.n_samples, rate_hz, block.host_time_ns);
        }
        group.write_attribute("samples_written", static_cast<std::int64_t>(raw.rows()));
        group.write_attribute("gap_count", static_cast<std::int64_t>(gap_rows.size()));
        group.write_attribute("missing_samples", static_cast<std::int64_t>(missing));
        if (const auto line = fit.line()) {
            group.write_attribute("clock_device_reference_ns", line->device_reference_ns);
            group.write_attribute("clock_host_at_reference_ns", line->host_at_reference_ns);
            group.write_attribute("clock_slope", line->slope);
            group.write_attribute("clock_drift_ppm", (line->slope - 1.0) * 1e6);
            group.write_attribute("clock_residual_sd_ns", line->residual_sd_ns);
            group.write_attribute("clock_blocks", static_cast<std::int64_t>(line->blocks));
        }
    }
}

bool is_open_trial(const h5::Group& trial) {
    return !trial.has_attribute("status") ||
           trial.read_string_attribute("status") == layout::kStatusRecording;
}

bool has_open_trials(const h5::Group& root) {
    const h5::Group trials = root.open_group("trials");
    for (const auto& id : trials.child_names()) {
        if (is_open_trial(trials.open_group(id))) {
            return true;
        }
    }
    return false;
}

void end_open_trials(const h5::Group& root, RecoveryReport& report,
                     std::vector<std::string>& ended) {
    const h5::Group trials = root.open_group("trials");
    for (const auto& id : trials.child_names()) {
        const h5::Group trial = trials.open_group(id);
        if (!is_open_trial(trial)) {
            continue;
        }
        trial.write_attribute("status", std::string(layout::kAbortedPrefix) +
                                            "writer stopped before the trial ended (recovered)");
        if (trial.has_child("force") && trial.has_attribute("start_sample_index")) {
            // The last sample that reached the file, per device: start index + calibrated rows.
            const auto start = trial.read_uint64s_attribute("start_sample_index");
            const h5::Group force = trial.open_group("force");
            const auto devices = force.child_names();
            if (devices.size() == start.size()) {
                std::vector<std::uint64_t> stop;
                for (std::size_t i = 0; i < devices.size(); ++i) {
                    stop.push_back(start[i] +
                                   force.open_group(devices[i]).open_dataset("force").rows());
                }
                trial.write_attribute("stop_sample_index", std::span<const std::uint64_t>(stop));
            }
        }
        report.actions.push_back("trial " + id + " was still recording: marked aborted");
        ended.push_back(id);
    }
}

// A writer that hit a full disk (or a copy cut short) leaves the file shorter than the end-of-file
// address its version 2/3 superblock records; HDF5 then refuses to open it at all. Padding the
// file with zeros to that address lets HDF5 open it: everything written before is intact, and what
// lived in the never-written space fails its checksum when read. Returns the bytes added.
std::uintmax_t pad_to_superblock_end(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::array<unsigned char, 48> superblock{};
    if (!in.read(reinterpret_cast<char*>(superblock.data()), superblock.size())) {
        return 0;
    }
    constexpr std::array<unsigned char, 8> kSignature{0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    const bool v2_or_v3 = std::equal(kSignature.begin(), kSignature.end(), superblock.begin()) &&
                          (superblock[8] == 2 || superblock[8] == 3) && superblock[9] == 8;
    if (!v2_or_v3) {
        return 0;
    }
    // Signature, version, offset and length sizes, flags (12 bytes), base address, extension
    // address, then the end-of-file address, little-endian.
    std::uint64_t end_of_file = 0;
    for (std::size_t k = 0; k < 8; ++k) {
        end_of_file |= static_cast<std::uint64_t>(superblock[28 + k]) << (8 * k);
    }
    const auto size = std::filesystem::file_size(file);
    if (end_of_file <= size || end_of_file > size + (std::uintmax_t{1} << 32)) {
        return 0;  // not short, or an address no writer of ours leaves (not a truncation)
    }
    std::filesystem::resize_file(file, end_of_file);
    return end_of_file - size;
}

}  // namespace

RecoveryReport recover(const std::filesystem::path& file) {
    h5::silence_errors();
    RecoveryReport report;
    report.file = file;
    std::vector<std::string> ended;
    if (const auto added = pad_to_superblock_end(file)) {
        report.actions.push_back(
            "the file was " + std::to_string(added) +
            " bytes shorter than its superblock records (a full disk or an interrupted copy): "
            "padded with zeros so it opens; data the writer never wrote is reported lost");
    }
    {
        // A normal read-only open succeeds only when no writer mark is set.
        bool flagged = false;
        bool open_trials = false;
        try {
            h5::File probe = h5::File::open(file, H5F_ACC_RDONLY, h5::FileAccess{});
            const h5::Group root = probe.root();
            require_hoplab_file(root);
            report.was_closed_cleanly = root.has_attribute("closed_utc");
            // Flags cleared by hand (h5clear -s) leave trials that still say "recording".
            open_trials = has_open_trials(root);
        } catch (const RecordingError& error) {
            if (error.problem().find("already open for") == std::string::npos) {
                // Not a writer mark: not HDF5, truncated, foreign, newer. The reader words these
                // best.
                SessionReader reader(file);
                throw;
            }
            flagged = true;
        }
        if (flagged) {
            // A SWMR writer's mark still allows a SWMR read: check what the file is before changing
            // it.
            try {
                h5::File probe = h5::File::open(file, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ,
                                                h5::FileAccess::for_swmr_read());
                require_hoplab_file(probe.root());
            } catch (const RecordingError& error) {
                if (error.object_path() != "/") {
                    throw;  // the file opened and is not ours
                }
                // Killed outside SWMR mode (while a trial was being created): only clearing the
                // mark can tell.
            }
        }
        if (flagged || open_trials) {
            h5::FileAccess access;
            access.clear_status_flags = flagged;
            h5::File writable = h5::File::open(file, H5F_ACC_RDWR, access);
            writable.extend_allocation_to_end_of_file();
            const h5::Group root = writable.root();
            require_hoplab_file(root);
            if (flagged) {
                report.status_flags_cleared = true;
                report.actions.push_back(
                    "cleared the superblock's open-for-writing flags (as h5clear -s)");
            }
            end_open_trials(root, report, ended);
            update_stream_attributes(root);
            root.write_attribute("recovered_utc", utc_now());
            report.actions.push_back("updated the streams' sample, gap and clock-map attributes");
            writable.close();
        }
    }
    const SessionReader reader(file);
    if (reader.has_raw_streams()) {
        for (const auto& device : reader.devices()) {
            report.streams.push_back(
                StreamRecovery{device.name, reader.raw_sample_count(device.name),
                               reader.blocks(device.name).size(), reader.gaps(device.name).size()});
        }
    }
    for (const auto& trial : reader.trials()) {
        TrialRecovery entry{trial.id, trial.status, trial.samples, false};
        for (const auto& id : ended) {
            entry.ended_by_recovery = entry.ended_by_recovery || id == trial.id;
        }
        if (trial.status == layout::kStatusComplete) {
            ++report.trials_complete;
        } else {
            ++report.trials_aborted;
        }
        report.trials.push_back(std::move(entry));
    }
    return report;
}

}  // namespace hoplab::recording
