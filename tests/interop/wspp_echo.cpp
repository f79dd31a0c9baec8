// wspp_echo.cpp - a WebSocket++ (libwebsocketpp-dev) echo server for `wsspec fuzz
// --coverage`: built with afl-clang-fast++ (make build/afl/wspp_echo), so WebSocket++'s
// header-only protocol code - handshake, frame parser, UTF-8 check, close handling - is
// instrumented with it. Every text and binary message is sent back as it came; nothing
// else is ours. Usage: wspp_echo HOST PORT (loopback only in the tests).
#include <cstdio>
#include <cstdlib>
#include <string>

#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

using server = websocketpp::server<websocketpp::config::asio>;

int main(int argc, char **argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: wspp_echo HOST PORT\n");
        return 2;
    }
    server s;
    s.clear_access_channels(websocketpp::log::alevel::all);
    s.clear_error_channels(websocketpp::log::elevel::all);
    s.init_asio();
    s.set_reuse_addr(true);
    s.set_message_handler([&s](websocketpp::connection_hdl h, server::message_ptr m) {
        websocketpp::lib::error_code ec;
        s.send(h, m->get_payload(), m->get_opcode(), ec); // a closed connection: dropped
    });
    websocketpp::lib::error_code ec;
    s.listen(argv[1], argv[2], ec);
    if (!ec)
        s.start_accept(ec);
    if (ec) {
        std::fprintf(stderr, "wspp_echo: %s\n", ec.message().c_str());
        return 1;
    }
    std::printf("listening on %s:%s\n", argv[1], argv[2]);
    std::fflush(stdout);
    s.run();
    return 0;
}
