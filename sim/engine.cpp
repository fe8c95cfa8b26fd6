#include "sim/engine.hpp"

#include <algorithm>
#include <cassert>

#include "sim/virtual_clock.hpp"

namespace elmo::sim {

Engine::Engine() {
    callback_kind_ = add_kind([this](std::uint32_t slot, std::uint64_t) {
        // Move the closure out first: it may schedule further closures, which may reuse slots.
        Callback fn = std::move(callbacks_[slot]);
        callbacks_[slot] = nullptr;
        free_slots_.push_back(slot);
        fn();
    });
}

Engine::~Engine() { release_clock(this); }

EventKind Engine::add_kind(Handler handler) {
    handlers_.push_back(std::move(handler));
    return static_cast<EventKind>(handlers_.size() - 1);
}

void Engine::schedule(Duration at, EventKind kind, std::uint32_t a, std::uint64_t b) {
    if (at < now_) at = now_;
    push(Event{at.count(), seq_++, kind, a, b});
}

void Engine::call_at(Duration at, Callback fn) {
    std::uint32_t slot;
    if (free_slots_.empty()) {
        slot = static_cast<std::uint32_t>(callbacks_.size());
        callbacks_.push_back(std::move(fn));
    } else {
        slot = free_slots_.back();
        free_slots_.pop_back();
        callbacks_[slot] = std::move(fn);
    }
    schedule(at, callback_kind_, slot);
}

void Engine::push(Event e) {
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), later);
}

Engine::Event Engine::pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Event e = heap_.back();
    heap_.pop_back();
    return e;
}

void Engine::dispatch(const Event& e) {
    now_ = Duration{e.t};
    ++processed_;
    handlers_[e.kind](e.a, e.b);
}

bool Engine::step() {
    if (heap_.empty()) return false;
    activate();
    dispatch(pop());
    return true;
}

void Engine::run_until(Duration t) {
    activate();
    while (!heap_.empty() && heap_.front().t <= t.count()) dispatch(pop());
    if (t > now_) now_ = t;
}

Duration Engine::next_event_time() const {
    return heap_.empty() ? Duration::max() : Duration{heap_.front().t};
}

void Engine::activate() const { activate_clock(this); }

}  // namespace elmo::sim
