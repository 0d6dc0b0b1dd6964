#pragma once

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace hoplab::recording::testing {

struct SchemaCheckResult {
    int exit_code = -1;
    std::string output;
};

// Runs a shell command and collects its output (stdout and what the command redirects to it).
inline SchemaCheckResult run_command(const std::string& command) {
    SchemaCheckResult result;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        result.output = "cannot run " + command;
        return result;
    }
    std::array<char, 512> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
        result.output += buffer.data();
    }
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// Runs scripts/golden/recording_schema_check.py on `file` with Debian's python3 (it has h5py).
inline SchemaCheckResult run_schema_check(const std::filesystem::path& file, bool complete) {
    return run_command(std::string(HOPLAB_PYTHON) + " '" + HOPLAB_SCHEMA_CHECK_SCRIPT + "' '" +
                       file.string() + "'" + (complete ? " --complete" : "") + " 2>&1");
}

}  // namespace hoplab::recording::testing
