#include <hoplab/cli/batch_analysis.hpp>

#include <hoplab/cli/child_process.hpp>
#include <hoplab/processing/analysis_json.hpp>
#include <hoplab/recording/session_reader.hpp>

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <ostream>
#include <set>
#include <stdexcept>
#include <thread>

namespace hoplab::cli {
namespace {

bool is_pattern(const std::string& text) {
    return text.find_first_of("*?[") != std::string::npos;
}

bool is_force_file(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext == ".h5" || ext == ".hdf5" || ext == ".csv" || ext == ".txt" || ext == ".tsv";
}

void flatten(const nlohmann::json& value, const std::string& prefix, nlohmann::json& row) {
    for (const auto& [key, item] : value.items()) {
        const std::string name = prefix.empty() ? key : prefix + "." + key;
        if (item.is_object()) {
            flatten(item, name, row);
        } else if (item.is_array()) {
            if (key == "quality_flags") {
                std::string joined;
                for (const auto& flag : item) {
                    joined += (joined.empty() ? "" : "; ") + flag.get<std::string>();
                }
                row[name] = joined;
            }
        } else {
            row[name] = item;
        }
    }
}

std::string csv_cell(const nlohmann::json& value) {
    if (value.is_null()) {
        return "";
    }
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (text.find_first_of(",\"\n") != std::string::npos) {
        std::string quoted = "\"";
        for (char c : text) {
            quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        }
        return quoted + "\"";
    }
    return text;
}

void draw_progress(std::ostream& out, std::size_t done, std::size_t total) {
    constexpr std::size_t kWidth = 40;
    const std::size_t filled = total == 0 ? kWidth : done * kWidth / total;
    out << fmt::format("\r[{}{}] {}/{} files", std::string(filled, '#'),
                       std::string(kWidth - filled, '.'), done, total)
        << (done == total ? "\n" : "") << std::flush;
}

}  // namespace

std::vector<std::filesystem::path> expand_batch_inputs(const std::vector<std::string>& inputs) {
    std::vector<std::filesystem::path> files;
    std::set<std::filesystem::path> seen;
    for (const auto& input : inputs) {
        std::vector<std::filesystem::path> found;
        if (std::filesystem::is_directory(input)) {
            for (const auto& entry : std::filesystem::directory_iterator(input)) {
                if (entry.is_regular_file() && is_force_file(entry.path())) {
                    found.push_back(entry.path());
                }
            }
            if (found.empty()) {
                throw std::runtime_error(
                    fmt::format("{}: the folder holds no .h5/.csv/.txt/.tsv files", input));
            }
        } else if (is_pattern(input) && !std::filesystem::exists(input)) {
            glob_t matches{};
            const int status = glob(input.c_str(), 0, nullptr, &matches);
            for (std::size_t k = 0; status == 0 && k < matches.gl_pathc; ++k) {
                found.emplace_back(matches.gl_pathv[k]);
            }
            globfree(&matches);
            if (found.empty()) {
                throw std::runtime_error(fmt::format("{}: the pattern matches no file", input));
            }
        } else {
            found.emplace_back(input);
        }
        std::sort(found.begin(), found.end());
        for (auto& file : found) {
            if (seen.insert(file).second) {
                files.push_back(std::move(file));
            }
        }
    }
    return files;
}

std::vector<nlohmann::json> batch_rows(const std::filesystem::path& file,
                                       const LoadOptions& options) {
    nlohmann::json athlete = nullptr;
    nlohmann::json session_utc = nullptr;
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".h5" || ext == ".hdf5") {
        const recording::SessionReader reader(file);
        athlete = reader.session().athlete.id;
        session_utc = reader.session().created_utc;
    }
    const auto trials = load_force_trials(file, options);
    const AnalysisRun run = analyse_trials(trials, std::nullopt, processing::AnalysisSettings{});
    std::vector<nlohmann::json> rows;
    for (const auto& trial : run.trials) {
        nlohmann::json row = nlohmann::json::object();
        row["file"] = file.string();
        row["athlete"] = athlete;
        row["session_utc"] = session_utc;
        flatten(processing::to_json(trial), "", row);
        rows.push_back(std::move(row));
    }
    return rows;
}

void write_batch_rows(const std::vector<std::filesystem::path>& files, const LoadOptions& options,
                      std::ostream& out) {
    for (const auto& file : files) {
        nlohmann::json line = {{"file", file.string()}};
        try {
            line["rows"] = batch_rows(file, options);
        } catch (const std::exception& error) {
            line["error"] = error.what();
        }
        out << line.dump() << "\n" << std::flush;
    }
}

BatchResult run_batch(const std::vector<std::filesystem::path>& files, const BatchOptions& options,
                      std::ostream* progress) {
    if (options.jobs < 1) {
        throw std::invalid_argument(fmt::format("--jobs {}: at least 1", options.jobs));
    }
    // Results by input position, so the table's order does not depend on which worker ran first.
    std::vector<nlohmann::json> results(files.size());
    std::size_t done = 0;
    if (progress != nullptr) {
        draw_progress(*progress, 0, files.size());
    }
    if (options.jobs == 1 || files.size() < 2) {
        for (std::size_t k = 0; k < files.size(); ++k) {
            nlohmann::json line = {{"file", files[k].string()}};
            try {
                line["rows"] = batch_rows(files[k], options.load);
            } catch (const std::exception& error) {
                line["error"] = error.what();
            }
            results[k] = std::move(line);
            if (progress != nullptr) {
                draw_progress(*progress, ++done, files.size());
            }
        }
    } else {
        const std::size_t shards = std::min(files.size(), static_cast<std::size_t>(options.jobs));
        std::mutex mutex;
        std::vector<std::string> worker_errors;
        std::vector<std::thread> readers;
        for (std::size_t s = 0; s < shards; ++s) {
            // Contiguous shards of nearly equal size: shard s holds [first, last).
            const std::size_t first = s * files.size() / shards;
            const std::size_t last = (s + 1) * files.size() / shards;
            readers.emplace_back([&, first, last] {
                std::vector<std::string> arguments = {"analyze", "--batch-rows"};
                arguments.insert(arguments.end(), options.worker_arguments.begin(),
                                 options.worker_arguments.end());
                arguments.emplace_back("--");
                for (std::size_t k = first; k < last; ++k) {
                    arguments.push_back(files[k].string());
                }
                try {
                    ChildProcess worker(
                        {options.program, arguments, std::nullopt, false, true, {}});
                    std::size_t next = first;
                    // A file takes well under a minute; a worker silent for 10 minutes is hung.
                    while (auto line = worker.read_line(std::chrono::minutes(10))) {
                        auto parsed = nlohmann::json::parse(*line);
                        const std::lock_guard lock(mutex);
                        if (next < last) {
                            results[next++] = std::move(parsed);
                        }
                        if (progress != nullptr) {
                            draw_progress(*progress, ++done, files.size());
                        }
                    }
                    const auto status = worker.wait(std::chrono::seconds(30));
                    if (status != 0 || next != last) {
                        const std::lock_guard lock(mutex);
                        worker_errors.push_back(fmt::format(
                            "worker for files {}–{} ended with status {} after {} of {} files",
                            first + 1, last, status ? std::to_string(*status) : "(still running)",
                            next - first, last - first));
                    }
                } catch (const std::exception& error) {
                    const std::lock_guard lock(mutex);
                    worker_errors.emplace_back(error.what());
                }
            });
        }
        for (auto& reader : readers) {
            reader.join();
        }
        if (!worker_errors.empty()) {
            throw std::runtime_error(worker_errors.front());
        }
    }
    BatchResult result;
    for (const auto& line : results) {
        if (line.contains("error")) {
            result.failures.push_back(
                {line["file"].get<std::string>(), line["error"].get<std::string>()});
            continue;
        }
        for (const auto& row : line["rows"]) {
            result.rows.push_back(row);
        }
    }
    return result;
}

void write_batch_table(const std::vector<nlohmann::json>& rows, const std::filesystem::path& out) {
    const std::string ext = out.extension().string();
    if (ext != ".csv" && ext != ".json") {
        throw std::invalid_argument(
            fmt::format("--table {}: the table is .csv or .json", out.string()));
    }
    std::ofstream file(out);
    if (!file) {
        throw std::runtime_error(fmt::format("{}: cannot create file", out.string()));
    }
    if (ext == ".json") {
        file << nlohmann::json(rows).dump(2) << "\n";
    } else {
        // The identifying columns first, then every other column in name order.
        std::vector<std::string> columns = {"file", "athlete",  "session_utc",
                                            "id",   "protocol", "limb"};
        std::set<std::string> known(columns.begin(), columns.end());
        for (const auto& row : rows) {
            for (const auto& [key, value] : row.items()) {
                if (known.insert(key).second) {
                    columns.push_back(key);
                }
            }
        }
        for (std::size_t c = 0; c < columns.size(); ++c) {
            file << (c ? "," : "") << csv_cell(columns[c]);
        }
        file << "\n";
        for (const auto& row : rows) {
            for (std::size_t c = 0; c < columns.size(); ++c) {
                const auto it = row.find(columns[c]);
                file << (c ? "," : "") << (it == row.end() ? std::string() : csv_cell(*it));
            }
            file << "\n";
        }
    }
    if (!file.flush()) {
        throw std::runtime_error(fmt::format("{}: write failed", out.string()));
    }
}

}  // namespace hoplab::cli
