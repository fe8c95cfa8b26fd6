#pragma once
// Protocol time. The core never reads a clock: every input carries `now`. The type is OpenDHT's
// (steady_clock's time_point) so that the same `now` drives dht::Dht::periodic and elmo's core;
// the simulator maps virtual time onto it, the daemon passes steady_clock::now().
#include <chrono>

namespace elmo {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

}  // namespace elmo
