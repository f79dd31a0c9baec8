// Echo server on gorilla/websocket (Debian's golang-github-gorilla-websocket-dev), for
// the comparison of tests/bench-echo: every text and binary message sent back with its
// type, messages up to 64 MiB, no compression. Built by tests/bench-echo with the Debian
// Go toolchain (GOPATH=/usr/share/gocode, no modules). Prints "listening on PORT" once
// bound; stops on SIGTERM/SIGINT.
//
//	gorilla_server [PORT]
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{
	ReadBufferSize:  64 * 1024,
	WriteBufferSize: 64 * 1024,
	CheckOrigin:     func(*http.Request) bool { return true },
}

func echo(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetReadLimit(64 << 20)
	for {
		op, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if c.WriteMessage(op, msg) != nil {
			return
		}
	}
}

func main() {
	port := "0"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %d\n", ln.Addr().(*net.TCPAddr).Port)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sig; os.Exit(0) }()
	http.Serve(ln, http.HandlerFunc(echo))
}
