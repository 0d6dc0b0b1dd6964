#pragma once

#include <optional>
#include <string_view>

namespace hoplab::processing {

// The test protocols of DESIGN.md §8.
enum class Protocol { single_leg_hop, repeated_hops, drop_jump, cmj, landing, quiet_stance };
enum class Limb { left, right, both };

std::string_view to_string(
    Protocol protocol);  // "single-leg-hop", "repeated-hops", "drop-jump", "cmj", ...
std::string_view to_string(Limb limb);  // "left", "right", "both"
std::optional<Protocol> parse_protocol(std::string_view text);
std::optional<Limb> parse_limb(std::string_view text);

}  // namespace hoplab::processing
