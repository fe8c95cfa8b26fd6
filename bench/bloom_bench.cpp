// Micro-benchmarks of the hint hot path: hashing a topic once, then checking it against the
// filters of every neighbour (mostly misses), and the codec.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bloom/attenuated_bloom_filter.hpp"
#include "bloom/codec.hpp"

namespace {

using namespace elmo::bloom;

std::vector<std::string> topics(int n, const char* prefix) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
    return out;
}

void BM_TopicHash(benchmark::State& state) {
    const auto t = topics(1024, "sensors/building-7/floor-3/room-");
    std::size_t i = 0;
    for (auto _ : state) benchmark::DoNotOptimize(TopicHash::of(t[i++ & 1023]));
}
BENCHMARK(BM_TopicHash);

// One precomputed topic against one filter at its design load; hit or miss.
void BM_Contains(benchmark::State& state) {
    const bool hit = state.range(0) != 0;
    BloomFilter f;
    for (const auto& t : topics(design_topics, "in/")) f.insert(t);
    std::vector<TopicHash> probes;
    for (const auto& t : topics(1024, hit ? "in/" : "out/")) probes.push_back(TopicHash::of(t));
    if (hit) probes.resize(design_topics);
    std::size_t i = 0;
    for (auto _ : state) benchmark::DoNotOptimize(f.contains(probes[i++ % probes.size()]));
}
BENCHMARK(BM_Contains)->Arg(0)->Arg(1);

// A walk hop: one topic, first_match against N neighbours' attenuated filters (levels at
// 150 / 1,200 / 1,200 topics).
void BM_FirstMatchNeighbours(benchmark::State& state) {
    const auto n = static_cast<int>(state.range(0));
    std::vector<AttenuatedBloomFilter> hints(static_cast<std::size_t>(n));
    int base = 0;
    for (auto& h : hints) {
        for (int i = 0; i < 150; ++i) h.insert(0, "t/" + std::to_string(base + i));
        for (int i = 0; i < 1200; ++i) h.insert(1, "u/" + std::to_string(base + i));
        for (int i = 0; i < 1200; ++i) h.insert(2, "v/" + std::to_string(base + i));
        base += 5000;
    }
    const TopicHash probe = TopicHash::of("nobody/has/this");
    for (auto _ : state) {
        int matches = 0;
        for (const auto& h : hints) matches += h.first_match(probe).has_value();
        benchmark::DoNotOptimize(matches);
    }
    state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_FirstMatchNeighbours)->Arg(50)->Arg(300);

void BM_MergeShifted(benchmark::State& state) {
    AttenuatedBloomFilter neighbour;
    for (int i = 0; i < 150; ++i) neighbour.insert(0, "t/" + std::to_string(i));
    AttenuatedBloomFilter me;
    for (auto _ : state) benchmark::DoNotOptimize(me.merge_shifted(neighbour).ok());
}
BENCHMARK(BM_MergeShifted);

void BM_EncodeDecodeAttenuated(benchmark::State& state) {
    AttenuatedBloomFilter a;
    for (int i = 0; i < 150; ++i) a.insert(0, "t/" + std::to_string(i));
    for (auto _ : state) {
        const auto bytes = encode(a);
        benchmark::DoNotOptimize(decode_attenuated(bytes).ok());
    }
}
BENCHMARK(BM_EncodeDecodeAttenuated);

}  // namespace

BENCHMARK_MAIN();
