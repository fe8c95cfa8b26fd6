#include "node/daemon/admin_server.hpp"

#include <restinio/all.hpp>

namespace elmo::daemon {

using Traits = restinio::default_single_thread_traits_t;

struct AdminServer::Impl {
    Render metrics;
    std::unique_ptr<restinio::http_server_t<Traits>> server;
    bool open = false;
};

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() {
    close();
}

void AdminServer::close() {
    if (!impl_ || !impl_->open) return;
    impl_->open = false;
    try {
        impl_->server->close_sync();
    } catch (const std::exception&) {
        // Closing a listener that failed under us: nothing left to release.
    }
}

Result<std::unique_ptr<AdminServer>, std::string> AdminServer::open(asio::io_context& io,
                                                                    const std::string& bind,
                                                                    std::uint16_t port,
                                                                    Render metrics) {
    auto impl = std::make_unique<Impl>();
    impl->metrics = std::move(metrics);
    Impl* p = impl.get();
    auto handler = [p](auto req) -> restinio::request_handling_status_t {
        const auto target = req->header().path();
        if (req->header().method() != restinio::http_method_get())
            return req->create_response(restinio::status_method_not_allowed())
                .append_header(restinio::http_field::allow, "GET")
                .connection_close()
                .done();
        if (target == "/metrics")
            return req->create_response()
                .append_header(restinio::http_field::content_type,
                               "text/plain; version=0.0.4; charset=utf-8")
                .set_body(p->metrics())
                .done();
        if (target == "/healthz")
            return req->create_response()
                .append_header(restinio::http_field::content_type, "text/plain")
                .set_body("ok\n")
                .done();
        return req->create_response(restinio::status_not_found()).connection_close().done();
    };
    try {
        impl->server = std::make_unique<restinio::http_server_t<Traits>>(
            restinio::external_io_context(io),
            restinio::server_settings_t<Traits>{}
                .address(bind)
                .port(port)
                .request_handler(std::move(handler))
                // A stuck scraper must not hold a connection forever.
                .read_next_http_message_timelimit(std::chrono::seconds(30))
                .handle_request_timeout(std::chrono::seconds(5)));
        impl->server->open_sync();
    } catch (const std::exception& e) {
        return Err{"admin endpoint " + bind + ":" + std::to_string(port) + ": " + e.what()};
    }
    impl->open = true;
    return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

}  // namespace elmo::daemon
