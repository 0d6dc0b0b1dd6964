#include <hoplab/cli/child_process.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace hoplab::cli {

ChildProcess::ChildProcess(const Options& options) {
    int in_pipe[2] = {-1, -1};
    int out_pipe[2] = {-1, -1};
    if ((options.pipe_stdin && ::pipe2(in_pipe, O_CLOEXEC) != 0) ||
        (options.pipe_stdout && ::pipe2(out_pipe, O_CLOEXEC) != 0)) {
        throw std::runtime_error(fmt::format("cannot create pipes for {}: {}",
                                             options.program.string(), std::strerror(errno)));
    }
    int log_fd = -1;
    if (options.log_file) {
        log_fd = ::open(options.log_file->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (log_fd < 0) {
            throw std::runtime_error(fmt::format("cannot open log file {}: {}",
                                                 options.log_file->string(), std::strerror(errno)));
        }
    }
    std::vector<std::string> argv_text{options.program.string()};
    argv_text.insert(argv_text.end(), options.arguments.begin(), options.arguments.end());
    std::vector<char*> argv;
    for (auto& arg : argv_text) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0) {
        throw std::runtime_error(
            fmt::format("cannot start {}: {}", options.program.string(), std::strerror(errno)));
    }
    if (pid_ == 0) {
        // Child: only async-signal-safe calls until exec.
        if (options.pipe_stdin) {
            ::dup2(in_pipe[0], STDIN_FILENO);
        } else {
            const int null_fd = ::open("/dev/null", O_RDONLY);
            ::dup2(null_fd, STDIN_FILENO);
        }
        if (options.pipe_stdout) {
            ::dup2(out_pipe[1], STDOUT_FILENO);
        } else if (log_fd >= 0) {
            ::dup2(log_fd, STDOUT_FILENO);
        }
        if (log_fd >= 0) {
            ::dup2(log_fd, STDERR_FILENO);
        }
        for (const auto& [name, value] : options.environment) {
            ::setenv(name.c_str(), value.c_str(), 1);
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    if (options.pipe_stdin) {
        ::close(in_pipe[0]);
        stdin_fd_ = in_pipe[1];
    }
    if (options.pipe_stdout) {
        ::close(out_pipe[1]);
        stdout_fd_ = out_pipe[0];
    }
    if (log_fd >= 0) {
        ::close(log_fd);
    }
}

ChildProcess::~ChildProcess() {
    if (running()) {
        signal(SIGTERM);
        if (!wait(std::chrono::seconds(5))) {
            signal(SIGKILL);
            wait(std::chrono::seconds(5));
        }
    }
    if (stdin_fd_ >= 0)
        ::close(stdin_fd_);
    if (stdout_fd_ >= 0)
        ::close(stdout_fd_);
}

void ChildProcess::write_line(const std::string& line) {
    const std::string text = line + "\n";
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(stdin_fd_, text.data() + written, text.size() - written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw std::runtime_error(
                fmt::format("writing to child {}: {}", pid_, std::strerror(errno)));
        }
        written += static_cast<std::size_t>(n);
    }
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto newline = pending_.find('\n');
        if (newline != std::string::npos) {
            std::string line = pending_.substr(0, newline);
            pending_.erase(0, newline + 1);
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return std::nullopt;
        }
        pollfd descriptor{stdout_fd_, POLLIN, 0};
        const int ready = ::poll(&descriptor, 1, static_cast<int>(left.count()));
        if (ready <= 0) {
            continue;
        }
        char buffer[4096];
        const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
        if (n <= 0) {
            return std::nullopt;
        }
        pending_.append(buffer, static_cast<std::size_t>(n));
    }
}

void ChildProcess::signal(int signal_number) {
    if (!status_) {
        ::kill(pid_, signal_number);
    }
}

bool ChildProcess::running() {
    return !wait(std::chrono::milliseconds(0)).has_value();
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    if (status_) {
        return status_;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_) {
            status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return status_;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace hoplab::cli
