#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace hoplab::acquisition {

// Bounded single-producer/single-consumer queue. The producer is the io_context thread, the
// consumer the recorder thread; neither ever takes a lock. try_push() fails when full (the caller
// counts that as a ring overrun: data is never dropped silently); the consumer sleeps in
// wait_for_data() on an atomic, woken by push.
template <typename T>
class SpscRing {
  public:
    explicit SpscRing(std::size_t capacity)
        : slots_(round_up_pow2(capacity)), mask_(slots_.size() - 1) {}

    bool try_push(T&& value) {
        const std::size_t head = head_.load(std::memory_order_relaxed);
        if (head - tail_.load(std::memory_order_acquire) == slots_.size()) {
            return false;
        }
        slots_[head & mask_] = std::move(value);
        head_.store(head + 1, std::memory_order_release);
        head_.notify_one();
        return true;
    }

    std::optional<T> try_pop() {
        const std::size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail == head_.load(std::memory_order_acquire)) {
            return std::nullopt;
        }
        std::optional<T> value{std::move(slots_[tail & mask_])};
        slots_[tail & mask_] =
            T{};  // release the payload's memory now, not when the slot is reused
        tail_.store(tail + 1, std::memory_order_release);
        return value;
    }

    // Blocks the consumer until the queue is non-empty.
    void wait_for_data() const {
        const std::size_t tail = tail_.load(std::memory_order_relaxed);
        head_.wait(tail, std::memory_order_acquire);
    }

    std::size_t size() const {
        return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
    }
    std::size_t capacity() const { return slots_.size(); }

  private:
    static std::size_t round_up_pow2(std::size_t n) {
        if (n == 0) {
            throw std::invalid_argument("SpscRing capacity must be positive");
        }
        std::size_t p = 1;
        while (p < n) {
            p <<= 1;
        }
        return p;
    }

    std::vector<T> slots_;
    std::size_t mask_;
    alignas(64) std::atomic<std::size_t> head_{0};
    alignas(64) std::atomic<std::size_t> tail_{0};
};

}  // namespace hoplab::acquisition
