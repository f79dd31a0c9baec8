// Echo server on Boost.Beast (Debian's libboost-dev, header-only), for the comparison
// of tests/bench-echo: one thread, one io_context, asynchronous reads and writes, each
// text or binary message sent back with its type from the buffer it was read into;
// messages up to 64 MiB, no compression. Built by tests/bench-echo with g++ -O2.
// Prints "listening on PORT" once bound; stops on SIGTERM/SIGINT.
//
//   beast_server [PORT]
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

class session : public std::enable_shared_from_this<session> {
    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buf_;

  public:
    explicit session(tcp::socket s) : ws_(std::move(s)) {}

    void start()
    {
        ws_.read_message_max(64u << 20);
        ws_.auto_fragment(false); /* one frame per message, as the other servers send */
        ws_.next_layer().socket().set_option(tcp::no_delay(true));
        ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
            if (!ec)
                self->read();
        });
    }

    void read()
    {
        ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec)
                return;
            self->ws_.text(self->ws_.got_text());
            self->ws_.async_write(self->buf_.data(),
                                  [self](beast::error_code ec2, std::size_t) {
                                      if (ec2)
                                          return;
                                      self->buf_.consume(self->buf_.size());
                                      self->read();
                                  });
        });
    }
};

static void do_accept(tcp::acceptor &acc)
{
    acc.async_accept([&acc](beast::error_code ec, tcp::socket s) {
        if (!ec)
            std::make_shared<session>(std::move(s))->start();
        do_accept(acc);
    });
}

int main(int argc, char **argv)
{
    unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 0;
    net::io_context ioc{1};
    tcp::acceptor acc(ioc, {net::ip::make_address("127.0.0.1"), port});
    net::signal_set sigs(ioc, SIGINT, SIGTERM);
    sigs.async_wait([&ioc](beast::error_code, int) { ioc.stop(); });
    std::cout << "listening on " << acc.local_endpoint().port() << std::endl;
    do_accept(acc);
    ioc.run();
    return 0;
}
