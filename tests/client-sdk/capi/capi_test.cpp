// Runs the C scenarios (capi_scenarios.c) against an in-process node on loopback.
#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <filesystem>
#include <random>
#include <thread>

#include "tests/client-sdk/driver/loopback_node.hpp"

extern "C" {
int elmo_capi_bad_arguments(char* why, size_t why_len);
int elmo_capi_publish_and_receive(const char* node, char* why, size_t why_len);
int elmo_capi_outbox_survives_reopen(const char* state_dir, char* why, size_t why_len);
}

namespace {

struct NodeThread {
    NodeThread() {
        elmo::daemon::ClientListenerConfig cfg;
        cfg.plain_tcp = true;
        node = std::make_unique<elmo::test::LoopbackNode>(io, cfg);
        thread = std::thread([this] { io.run(); });
    }
    ~NodeThread() {
        work.reset();
        io.stop();
        thread.join();
    }
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::unique_ptr<elmo::test::LoopbackNode> node;
    std::thread thread;
};

TEST(CApi, ArgumentChecks) {
    char why[256] = "";
    EXPECT_EQ(elmo_capi_bad_arguments(why, sizeof why), 0) << why;
}

TEST(CApi, PublishAndReceiveFromC) {
    NodeThread n;
    std::string node = "127.0.0.1:" + std::to_string(n.node->port());
    char why[256] = "";
    EXPECT_EQ(elmo_capi_publish_and_receive(node.c_str(), why, sizeof why), 0) << why;
}

TEST(CApi, OutboxSurvivesAReopen) {
    auto dir = std::filesystem::temp_directory_path() /
               ("elmo-capi-" + std::to_string(std::random_device{}()));
    char why[256] = "";
    EXPECT_EQ(elmo_capi_outbox_survives_reopen(dir.c_str(), why, sizeof why), 0) << why;
    std::filesystem::remove_all(dir);
}

}  // namespace
