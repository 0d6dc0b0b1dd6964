// The floor of the lab load's io-thread cost (docs/performance.md, session 8): the system calls of
// hoplabd's 10 ms tick with nothing else, measured in isolation on the same machine.
//
// build: g++ -std=c++20 -O2 -o /tmp/acquisition_floor scripts/bench/acquisition_floor.cpp
// run:   /tmp/acquisition_floor [seconds] [plain]
//        (default 20 s; prints the io loop's CPU as % of a core. `plain`: without TCP_INQ and
//        TCP_QUICKACK 0, as hoplabd before session 8: each read-out ends with a read that finds
//        nothing, and reads send ACKs. `whole`: one read per frame, as hoplabd since session 9,
//        instead of one for the header and one for the rest)
//
// Three processes on loopback, as in `hoplab_acquisition_bench --phases lab`:
// - a sender: 4 TCP connections ("plates"), each writing one 24 + 640 + 4 byte frame (20 samples
//   × 8 float32 channels) every 10 ms with TCP_NODELAY, staggered by 2.5 ms;
// - a viewer: one TCP connection that reads everything it is sent;
// - the io loop (this process's main thread, the figure printed): a timerfd re-armed 10 ms after
//   each expiry (as an Asio steady_timer does) and epoll; on each tick, per connection, a recvmsg
//   of the 24-byte header and one of the rest of the frame (SO_TIMESTAMPNS and TCP_INQ cmsgs,
//   SO_RCVLOWAT 64 KiB, TCP_QUICKACK 0, as DeviceServer does), then one 1 KiB send to the viewer
//   (one "forces" message of four devices, WebSocket framing included).
// No decoding, no recorder, no JSON: what is left of hoplabd's io thread is its own work.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr int kPlates = 4;
constexpr std::size_t kFrameBytes = 24 + 640 + 4;
constexpr std::size_t kHeaderBytes = 24;
constexpr std::size_t kLiveBytes = 1024;
constexpr long kTickNs = 10'000'000;

void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

int listen_on_loopback(std::uint16_t& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, 8) != 0) {
        die("listen");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
    return fd;
}

int connect_to(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        die("connect");
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

std::int64_t now_ns() {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

[[noreturn]] void run_sender(std::uint16_t port) {
    std::array<int, kPlates> fds{};
    for (auto& fd : fds) {
        fd = connect_to(port);
    }
    std::vector<char> frame(kFrameBytes, 7);
    std::int64_t due = now_ns();
    for (;;) {
        for (int plate = 0; plate < kPlates; ++plate) {
            due += kTickNs / kPlates;
            const timespec at{static_cast<time_t>(due / 1'000'000'000),
                              static_cast<long>(due % 1'000'000'000)};
            ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr);
            if (::send(fds[static_cast<std::size_t>(plate)], frame.data(), frame.size(),
                       MSG_NOSIGNAL) < 0) {
                std::_Exit(0);
            }
        }
    }
}

[[noreturn]] void run_viewer(std::uint16_t port) {
    const int fd = connect_to(port);
    std::vector<char> buffer(64 * 1024);
    while (::recv(fd, buffer.data(), buffer.size(), 0) > 0) {
    }
    std::_Exit(0);
}

double cpu_s() {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

void arm(int timer) {
    itimerspec once{};
    once.it_value.tv_nsec = kTickNs;
    ::timerfd_settime(timer, 0, &once, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 20.0;
    const bool plain = argc > 2 && std::strcmp(argv[2], "plain") == 0;
    const bool whole = argc > 2 && std::strcmp(argv[2], "whole") == 0;
    std::uint16_t device_port = 0, viewer_port = 0;
    const int device_listener = listen_on_loopback(device_port);
    const int viewer_listener = listen_on_loopback(viewer_port);
    const pid_t sender = ::fork();
    if (sender == 0) {
        run_sender(device_port);
    }
    const pid_t viewer = ::fork();
    if (viewer == 0) {
        run_viewer(viewer_port);
    }
    std::array<int, kPlates> plates{};
    const int epoll = ::epoll_create1(0);
    for (auto& fd : plates) {
        fd = ::accept(device_listener, nullptr, nullptr);
        const int one = 1, zero = 0, low_water = 64 * 1024;
        ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        ::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &low_water, sizeof low_water);
        if (!plain) {
            ::setsockopt(fd, IPPROTO_TCP, TCP_INQ, &one, sizeof one);
            ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
        }
        epoll_event event{};
        event.events = EPOLLIN | EPOLLET;
        event.data.fd = fd;
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
    }
    const int live = ::accept(viewer_listener, nullptr, nullptr);
    const int one = 1;
    ::setsockopt(live, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int timer = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    epoll_event timer_event{};
    timer_event.events = EPOLLIN | EPOLLET;
    timer_event.data.fd = timer;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, timer, &timer_event);
    arm(timer);

    std::vector<char> buffer(64 * 1024);
    std::array<std::size_t, kPlates> offsets{};  // bytes of the current frame read
    const std::vector<char> message(kLiveBytes, 'x');
    std::uint64_t frames = 0, reads = 0, ticks = 0;
    const std::int64_t warm_up_end = now_ns() + 3'000'000'000;
    std::int64_t measure_end = 0;
    double cpu_start = 0;
    for (;;) {
        std::array<epoll_event, 8> events{};
        const int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), -1);
        bool tick = false;
        for (int k = 0; k < n; ++k) {
            tick = tick || events[static_cast<std::size_t>(k)].data.fd == timer;
        }
        if (!tick) {
            continue;
        }
        std::uint64_t expirations = 0;
        if (::read(timer, &expirations, sizeof expirations) < 0) {
            continue;
        }
        arm(timer);
        for (std::size_t plate = 0; plate < plates.size(); ++plate) {
            // As DeviceServer::read: up to the end of the header, then of the frame, until
            // TCP_INQ says nothing is left.
            std::size_t& at = offsets[plate];
            for (;;) {
                const std::size_t wanted =
                    at < kHeaderBytes && !whole ? kHeaderBytes - at : kFrameBytes - at;
                iovec bytes{buffer.data(), wanted};
                alignas(cmsghdr) std::array<char, 64> control{};
                msghdr header{};
                header.msg_iov = &bytes;
                header.msg_iovlen = 1;
                header.msg_control = control.data();
                header.msg_controllen = control.size();
                const ssize_t got = ::recvmsg(plates[plate], &header, MSG_DONTWAIT);
                ++reads;
                if (got <= 0) {
                    break;
                }
                at += static_cast<std::size_t>(got);
                if (at == kFrameBytes) {
                    at = 0;
                    ++frames;
                }
                int queued = 1;  // without TCP_INQ: read until EAGAIN
                for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr;
                     c = CMSG_NXTHDR(&header, c)) {
                    if (c->cmsg_level == IPPROTO_TCP && c->cmsg_type == TCP_CM_INQ) {
                        std::memcpy(&queued, CMSG_DATA(c), sizeof queued);
                    }
                }
                if (queued == 0) {
                    break;
                }
            }
        }
        ::send(live, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        const std::int64_t now = now_ns();
        if (measure_end == 0 && now >= warm_up_end) {
            cpu_start = cpu_s();
            measure_end = now + static_cast<std::int64_t>(seconds * 1e9);
            frames = reads = ticks = 0;
        }
        ++ticks;
        if (measure_end != 0 && now >= measure_end) {
            break;
        }
    }
    const double cpu = cpu_s() - cpu_start;
    std::printf(
        "io loop floor: %.3f %% of one core over %.0f s (%llu ticks, %llu frames, %llu "
        "recvmsg; %.1f us per tick)\n",
        100.0 * cpu / seconds, seconds, static_cast<unsigned long long>(ticks),
        static_cast<unsigned long long>(frames), static_cast<unsigned long long>(reads),
        1e6 * cpu / static_cast<double>(ticks));
    ::kill(sender, SIGTERM);
    ::kill(viewer, SIGTERM);
    ::waitpid(sender, nullptr, 0);
    ::waitpid(viewer, nullptr, 0);
    return 0;
}
