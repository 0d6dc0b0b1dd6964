#include <hoplab/recording/format.hpp>
#include <hoplab/recording/recovery_report.hpp>
#include <hoplab/recording/session_reader.hpp>

#include "clock_fit.hpp"
#include "h5.hpp"
#include "layout.hpp"
#include "trial_force.hpp"
#include "utc_clock.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
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

// The raw rows a trial spans in one device's stream: from the first row the writer had not yet
// written when the trial began (start_raw_row) whose sample index is at or after the trial's start,
// to the last row that both reached the file and has its block row (the block gives its index).
struct TrialRows {
    std::uint64_t first_row = 0;
    std::uint64_t end_row = 0;
    std::uint64_t stop_sample_index = 0;  // one past the last row's sample index
};

TrialRows trial_rows(const std::vector<layout::BlockRow>& blocks, std::uint64_t raw_rows,
                     std::uint64_t start_raw_row, std::uint64_t start_sample_index) {
    TrialRows rows{0, 0, start_sample_index};
    std::optional<std::uint64_t> first;
    for (const auto& block : blocks) {
        const std::uint64_t block_end = std::min(block.first_row + block.n_samples, raw_rows);
        std::uint64_t row = std::max(block.first_row, start_raw_row);
        if (row >= block_end) {
            continue;
        }
        if (block.first_sample_index + (row - block.first_row) < start_sample_index) {
            row = block.first_row + (start_sample_index - block.first_sample_index);
        }
        if (row >= block_end) {
            continue;
        }
        if (!first) {
            first = row;
        }
        rows.end_row = block_end;
        rows.stop_sample_index = block.first_sample_index + (block_end - block.first_row);
    }
    rows.first_row = first.value_or(0);
    return rows;
}

// Derives the calibrated force of an interrupted trial from the raw rows it spans, through the
// calibration stored with the trial (tares are refused while a trial records, so it held for the
// whole trial), with the writer's arithmetic (TrialForceRows). A device whose force datasets
// already hold rows had its force given as it arrived (SessionWriter::append_trial_force): it is
// kept, and its stop index is the start index + those rows. Returns the stop index per device and
// adds one action per device that got rows.
std::vector<std::uint64_t> derive_trial_force(const h5::Group& root, const h5::Group& trial,
                                              const std::string& id, RecoveryReport& report) {
    const auto start = trial.read_uint64s_attribute("start_sample_index");
    const auto start_raw_row = trial.read_uint64s_attribute("start_raw_row");
    const auto devices = trial.read_strings_attribute("devices");
    const h5::Group force = trial.open_group("force");
    const h5::Group streams = root.open_group("streams");
    const h5::Handle block_type = layout::block_memory_type();
    std::vector<std::uint64_t> stop;
    TrialForceRows derived;
    std::vector<std::int32_t> counts;
    std::vector<float> values;
    for (std::size_t i = 0; i < devices.size() && i < start.size() && i < start_raw_row.size();
         ++i) {
        const h5::Group stream = streams.open_group(devices[i]);
        const h5::Dataset raw = stream.open_dataset("raw");
        const h5::Dataset blocks_table = stream.open_dataset("blocks");
        std::vector<layout::BlockRow> blocks(blocks_table.rows());
        blocks_table.read(0, blocks.size(), blocks.data(), block_type.id());
        const TrialRows rows = trial_rows(blocks, raw.rows(), start_raw_row[i], start[i]);
        const h5::Group plate = force.open_group(devices[i]);
        const auto calibration = calibration::PlateCalibration::from_toml(
            plate.read_string_attribute("calibration"), plate.path() + "/@calibration");
        const double threshold_n = plate.read_double_attribute("cop_threshold_n");
        std::array<h5::Dataset, 4> datasets{plate.open_dataset("force"),
                                            plate.open_dataset("moment"), plate.open_dataset("cop"),
                                            plate.open_dataset("free_moment")};
        const bool stored =
            std::any_of(datasets.begin(), datasets.end(),
                        [](const h5::Dataset& dataset) { return dataset.rows() > 0; });
        if (stored) {
            stop.push_back(start[i] + datasets[0].rows());
            continue;
        }
        stop.push_back(rows.stop_sample_index);
        const std::uint64_t total =
            rows.end_row > rows.first_row ? rows.end_row - rows.first_row : 0;
        if (total == 0) {
            continue;
        }
        const bool int_counts = H5Tget_class(raw.file_type()) == H5T_INTEGER;
        const std::size_t channels = std::max<std::size_t>(raw.columns(), 1);
        constexpr std::uint64_t kSlabRows = 65536;  // bounds memory whatever the trial's length
        for (std::uint64_t done = 0; done < total;) {
            const auto n = static_cast<std::size_t>(std::min(kSlabRows, total - done));
            const std::uint64_t row = rows.first_row + done;
            if (int_counts) {
                counts.resize(n * channels);
                raw.read(row, n, counts.data(), H5T_NATIVE_INT32);
                derived.calibrate(calibration, threshold_n, std::span<const std::int32_t>(counts));
            } else {
                values.resize(n * channels);
                raw.read(row, n, values.data(), H5T_NATIVE_FLOAT);
                derived.calibrate(calibration, threshold_n, std::span<const float>(values));
            }
            const std::array<const std::vector<double>*, 4> columns{
                &derived.force, &derived.moment, &derived.cop, &derived.free_moment};
            for (std::size_t d = 0; d < datasets.size(); ++d) {
                datasets[d].append(columns[d]->data(), n, H5T_NATIVE_DOUBLE);
            }
            done += n;
        }
        report.actions.push_back("trial " + id + ": derived the calibrated force of " +
                                 std::to_string(total) + " samples of device '" + devices[i] +
                                 "' from its raw rows " + std::to_string(rows.first_row) + "-" +
                                 std::to_string(rows.end_row - 1));
    }
    return stop;
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
        if (trial.has_child("force") && trial.has_attribute("start_raw_row") &&
            root.has_child("streams")) {
            // A trial on raw streams whose force the writer derives when it ends: derive it from
            // the rows that survived.
            const auto stop = derive_trial_force(root, trial, id, report);
            trial.write_attribute("stop_sample_index", std::span<const std::uint64_t>(stop));
        } else if (trial.has_child("force") && trial.has_attribute("start_sample_index")) {
            // A file from a writer that stored the force as it arrived: the last sample that
            // reached the file, per device, is the start index + calibrated rows.
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
