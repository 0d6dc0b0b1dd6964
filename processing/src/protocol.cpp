#include <hoplab/processing/protocol.hpp>

#include <array>
#include <utility>

namespace hoplab::processing {
namespace {

constexpr std::array kProtocols{
    std::pair{Protocol::single_leg_hop, std::string_view("single-leg-hop")},
    std::pair{Protocol::repeated_hops, std::string_view("repeated-hops")},
    std::pair{Protocol::drop_jump, std::string_view("drop-jump")},
    std::pair{Protocol::cmj, std::string_view("cmj")},
    std::pair{Protocol::landing, std::string_view("landing")},
    std::pair{Protocol::quiet_stance, std::string_view("quiet-stance")}};
constexpr std::array kLimbs{std::pair{Limb::left, std::string_view("left")},
                            std::pair{Limb::right, std::string_view("right")},
                            std::pair{Limb::both, std::string_view("both")}};

}  // namespace

std::string_view to_string(Protocol protocol) {
    for (const auto& [value, name] : kProtocols) {
        if (value == protocol)
            return name;
    }
    return "unknown";
}

std::string_view to_string(Limb limb) {
    for (const auto& [value, name] : kLimbs) {
        if (value == limb)
            return name;
    }
    return "unknown";
}

std::optional<Protocol> parse_protocol(std::string_view text) {
    for (const auto& [value, name] : kProtocols) {
        if (name == text)
            return value;
    }
    return std::nullopt;
}

std::optional<Limb> parse_limb(std::string_view text) {
    for (const auto& [value, name] : kLimbs) {
        if (name == text)
            return value;
    }
    return std::nullopt;
}

}  // namespace hoplab::processing
