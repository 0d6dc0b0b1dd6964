// Internal helper of the processing library (not installed).
#pragma once

#include <cstddef>
#include <span>

namespace hoplab::processing::detail {

// Stable insertion sort of a few indices (a filter group's 16 lanes, a batch's 32 contacts):
// std::stable_sort allocates a merge buffer on every call, which showed in the profile of
// analyze_trial (≈ 2 % with its malloc and free).
template <typename Less>
void sort_few(std::span<std::size_t> indices, Less&& less) {
    for (std::size_t i = 1; i < indices.size(); ++i) {
        const std::size_t moving = indices[i];
        std::size_t j = i;
        for (; j > 0 && less(moving, indices[j - 1]); --j)
            indices[j] = indices[j - 1];
        indices[j] = moving;
    }
}

}  // namespace hoplab::processing::detail
