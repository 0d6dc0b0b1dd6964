#pragma once

#include <sys/types.h>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::cli {

// A child program started with fork/exec, optionally with pipes to its stdin and from its stdout;
// stderr (and stdout when not piped) go to a log file. The destructor terminates a child still
// running (SIGTERM, then SIGKILL).
class ChildProcess {
  public:
    struct Options {
        std::filesystem::path program;
        std::vector<std::string> arguments;
        std::optional<std::filesystem::path> log_file;
        bool pipe_stdin = false;
        bool pipe_stdout = false;
        std::vector<std::pair<std::string, std::string>>
            environment;  // added to the parent's environment
    };
    explicit ChildProcess(const Options& options);  // throws std::runtime_error naming the program
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    void write_line(const std::string& line);  // to the child's stdin
    // The next line of the child's stdout, or nullopt on timeout or end of output.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    void signal(int signal_number);
    // Waits for exit; returns the exit status (128 + signal if killed), or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    bool running();

  private:
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int stdout_fd_ = -1;
    std::string pending_;
    std::optional<int> status_;
};

}  // namespace hoplab::cli
