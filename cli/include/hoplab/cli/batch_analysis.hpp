#pragma once

#include <hoplab/cli/force_trials.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace hoplab::cli {

// `hoplab analyze` over many recordings (DESIGN.md §8, issue #7 item 4).

// The files named by INPUT arguments: a folder gives its .h5/.hdf5/.csv/.txt/.tsv files (not
// recursive), a pattern with * ? or [ gives its glob(3) matches (quote it from the shell), anything
// else is taken as a file. Sorted within each argument, duplicates removed. Throws
// std::runtime_error naming a folder or pattern that matches nothing.
std::vector<std::filesystem::path> expand_batch_inputs(const std::vector<std::string>& inputs);

// One file's table rows, one per trial: file, athlete, session_utc (null for CSV input), then the
// trial's analysis JSON flattened with dotted names (`summary.mean_rsi`, `provenance.filter.…`),
// per-contact lists left out (their means and count are in `summary.*`), quality flags joined
// with "; ". Throws what load_force_trials throws.
std::vector<nlohmann::json> batch_rows(const std::filesystem::path& file,
                                       const LoadOptions& options);

struct BatchFailure {
    std::string file;
    std::string error;
};

struct BatchResult {
    std::vector<nlohmann::json> rows;  // in the order of the input files
    std::vector<BatchFailure> failures;
};

struct BatchOptions {
    LoadOptions load;
    // Worker processes. HDF5 (Debian's build) is not thread-safe, so jobs > 1 runs `program
    // analyze --batch-rows worker_arguments… FILES` once per shard of the files, each worker a
    // separate process; jobs == 1 analyses in this process.
    int jobs = 1;
    std::filesystem::path program;              // the hoplab executable, for jobs > 1
    std::vector<std::string> worker_arguments;  // the load options as command-line options
};

// Analyses every file; a file that cannot be analysed is a failure, the others still run.
// `progress`, when set, gets a bar redrawn with '\r' after each file. Throws std::invalid_argument
// for jobs < 1, std::runtime_error when a worker cannot be started or dies.
BatchResult run_batch(const std::vector<std::filesystem::path>& files, const BatchOptions& options,
                      std::ostream* progress);

// The worker's side: one JSON line per file on `out`: {"file":…,"rows":[…]} or
// {"file":…,"error":…}.
void write_batch_rows(const std::vector<std::filesystem::path>& files, const LoadOptions& options,
                      std::ostream& out);

// The combined table: .json (an array of row objects, null where a value could not be computed) or
// .csv (a header of every column seen, in first-seen order; an empty cell where a value could not
// be computed). Throws std::invalid_argument for another extension, std::runtime_error when the
// file cannot be written.
void write_batch_table(const std::vector<nlohmann::json>& rows, const std::filesystem::path& out);

}  // namespace hoplab::cli
