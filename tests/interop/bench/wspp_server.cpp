// Echo server on WebSocket++ (Debian's libwebsocketpp-dev 0.8, header-only on
// Boost.Asio), for the comparison of tests/bench-echo: config::asio (no TLS), one thread
// running the endpoint's io_service, each text or binary message sent back with its
// opcode, TCP_NODELAY on each connection (as beast_server.cpp), no compression, the
// library's own message limit (32,000,000 bytes), its default config otherwise. Built
// by tests/bench-echo with g++ -O2. Large messages cost it much more than Beast: each
// message is a newly allocated, zero-filled string, copied again to be sent, and
// glibc's malloc gives such blocks back to the kernel at each free, so every 1 MiB
// echo page-faults its buffers in anew (perf, 2026-12-06: page faults under memmove and
// memset ~21% of its CPU; a 256 KiB connection_read_buffer_size gave +50% echoes per
// CPU-second at 1 MiB, GLIBC_TUNABLES trim/mmap thresholds of 64 MiB and more 3x, still
// well below Beast) - the defaults are kept, as a user of the library gets them.
// tests/interop/wspp_echo.cpp is the AFL build of the same echo; this one binds port 0
// and prints the port it got, and stops on a signal. Prints "listening on PORT" once
// bound; stops on SIGTERM/SIGINT.
//
//   wspp_server [PORT]
#include <cstdio>
#include <cstdlib>

#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

using server = websocketpp::server<websocketpp::config::asio>;
namespace asio = websocketpp::lib::asio;

int main(int argc, char **argv)
{
    unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 0;
    server s;
    s.clear_access_channels(websocketpp::log::alevel::all);
    s.clear_error_channels(websocketpp::log::elevel::all);
    s.init_asio();
    s.set_tcp_post_init_handler([&s](websocketpp::connection_hdl h) {
        asio::error_code ec; // a connection already gone: nothing to set
        s.get_con_from_hdl(h)->get_raw_socket().set_option(asio::ip::tcp::no_delay(true), ec);
    });
    s.set_message_handler([&s](websocketpp::connection_hdl h, server::message_ptr m) {
        websocketpp::lib::error_code ec;
        s.send(h, m->get_payload(), m->get_opcode(), ec); // a closed connection: dropped
    });
    asio::signal_set sigs(s.get_io_service(), SIGINT, SIGTERM);
    sigs.async_wait([&s](const asio::error_code &, int) { s.stop(); });
    websocketpp::lib::error_code ec;
    s.listen(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (!ec)
        s.start_accept(ec);
    asio::error_code aec;
    asio::ip::tcp::endpoint bound = s.get_local_endpoint(aec);
    if (ec || aec) {
        std::fprintf(stderr, "wspp_server: %s\n", (ec ? ec.message() : aec.message()).c_str());
        return 1;
    }
    std::printf("listening on %u\n", static_cast<unsigned>(bound.port()));
    std::fflush(stdout);
    s.run();
    return 0;
}
