#pragma once

// Test support: run the `hoplab` program as a user would and collect what it printed.

#include <hoplab/cli/child_process.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace hoplab::testing {

struct HoplabRun {
    int exit_code;
    std::string out;
    std::string err;
};

// Runs `hoplab ARGUMENTS…` to completion (60 s bound); stderr goes through `dir`/stderr.txt.
inline HoplabRun run_hoplab(const std::vector<std::string>& arguments,
                            const std::filesystem::path& dir) {
    const auto err_path = dir / "stderr.txt";
    cli::ChildProcess process({HOPLAB_PATH, arguments, err_path, false, true, {}});
    std::string out;
    while (auto line = process.read_line(std::chrono::seconds(60))) {
        out += *line + "\n";
    }
    const auto code = process.wait(std::chrono::seconds(60));
    std::ifstream in(err_path);
    return HoplabRun{code.value_or(-1), out, std::string(std::istreambuf_iterator<char>(in), {})};
}

}  // namespace hoplab::testing
