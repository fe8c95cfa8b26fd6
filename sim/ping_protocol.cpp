#include "sim/ping_protocol.hpp"

#include <array>

#include "wire/datagram_kind.hpp"

namespace elmo::sim {
namespace {
constexpr std::size_t msg_size = 10;

std::array<std::uint8_t, msg_size> encode(std::uint8_t type, std::uint64_t seq) {
    std::array<std::uint8_t, msg_size> m{};
    m[0] = wire::elmo_magic;
    m[1] = type;
    for (int i = 0; i < 8; ++i) m[2 + i] = static_cast<std::uint8_t>(seq >> (56 - 8 * i));
    return m;
}

std::uint64_t decode_seq(ByteView d) {
    std::uint64_t s = 0;
    for (int i = 0; i < 8; ++i) s = (s << 8) | d[2 + i];
    return s;
}
}  // namespace

PingCore::PingCore(DatagramPort& out, OverlayPort& overlay, std::uint64_t seed, Duration interval)
    : out_(out), overlay_(overlay), rng_(seed), interval_(interval) {}

CoreFactory PingCore::factory(Duration interval) {
    return [interval](const CoreContext& c) -> std::unique_ptr<ProtocolCore> {
        return std::make_unique<PingCore>(c.datagrams, c.overlay, c.seed, interval);
    };
}

TimePoint PingCore::on_start(TimePoint now) {
    if (interval_.count() <= 0) return TimePoint::max();
    // Spread the first pings over one interval so that nodes started together do not beat.
    next_ = now + Duration(rng_.between(0, interval_.count()));
    return next_;
}

TimePoint PingCore::on_timer(TimePoint now) {
    if (now < next_) return next_;
    // Forget pings unanswered for long (lost or partitioned): keeps the map bounded.
    while (!outstanding_.empty() && outstanding_.begin()->second.sent + 10 * interval_ < now)
        outstanding_.erase(outstanding_.begin());
    const auto nbrs = overlay_.neighbours();
    if (nbrs.empty()) {
        ++stats_.no_neighbour;
    } else {
        const Endpoint to = nbrs[rng_.below(nbrs.size())].endpoint;
        const auto m = encode('P', ++seq_);
        outstanding_[seq_] = Outstanding{to, now};
        ++stats_.pings_sent;
        out_.send(to, ByteView(m.data(), m.size()));
    }
    next_ = now + interval_;
    return next_;
}

TimePoint PingCore::on_datagram(TimePoint now, const Endpoint& from, ByteView d) {
    if (d.size() != msg_size) return next_;
    if (d[1] == 'P') {
        ++stats_.pings_received;
        const auto m = encode('Q', decode_seq(d));
        out_.send(from, ByteView(m.data(), m.size()));
    } else if (d[1] == 'Q') {
        ++stats_.pongs_received;
        auto it = outstanding_.find(decode_seq(d));
        if (it != outstanding_.end()) {
            if (it->second.to == from) {
                ++stats_.pongs_matched;
                stats_.rtt_sum += now - it->second.sent;
            } else {
                ++stats_.pongs_mismatched;
            }
            outstanding_.erase(it);
        }
    }
    return next_;
}

}  // namespace elmo::sim
