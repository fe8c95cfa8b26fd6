#include "sim/virtual_clock.hpp"

#include <sys/random.h>
#include <time.h>

#include <chrono>
#include <random>

#include "sim/engine.hpp"

namespace elmo::sim {
namespace {
// The one piece of per-thread state of the simulator: which engine's clock this thread reads.
thread_local const Engine* active_engine = nullptr;

std::int64_t read_clock(clockid_t id) {
    timespec ts{};
    ::clock_gettime(id, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

void activate_clock(const Engine* engine) { active_engine = engine; }

void release_clock(const Engine* engine) {
    if (active_engine == engine) active_engine = nullptr;
}

const Engine* active_clock() { return active_engine; }

}  // namespace elmo::sim

// Interposed definitions of libstdc++'s clocks (see virtual_clock.hpp for why).
namespace std::chrono {
inline namespace _V2 {

steady_clock::time_point steady_clock::now() noexcept {
    if (const auto* e = elmo::sim::active_engine) return e->time_point();
    return time_point(duration(elmo::sim::read_clock(CLOCK_MONOTONIC)));
}

system_clock::time_point system_clock::now() noexcept {
    if (const auto* e = elmo::sim::active_engine)
        return time_point(duration_cast<duration>(elmo::sim::virtual_wall_epoch + e->now()));
    return time_point(duration(elmo::sim::read_clock(CLOCK_REALTIME)));
}

}  // namespace _V2
}  // namespace std::chrono

// Interposed std::random_device::_M_getval (libstdc++'s out-of-line draw behind operator()), for
// the same reason: OpenDHT 2.4.12 seeds each Dht's generators from std::random_device
// (crypto::getSeededRandomEngine; crypto::random_device is std::random_device on Linux), which
// made two real-DHT runs with one seed differ. Under an active engine it returns the engine's
// seeded entropy; elsewhere the kernel's (getrandom), as libstdc++'s default device does.
namespace std {
random_device::result_type random_device::_M_getval() {
    if (const auto* e = elmo::sim::active_engine) return e->draw_entropy();
    result_type v = 0;
    while (::getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
    }
    return v;
}
}  // namespace std
