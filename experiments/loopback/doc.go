// Package loopback is a small TCP server on 127.0.0.1 with a finite
// capacity, for experiments that make real calls over real sockets.
//
// The server answers one line with one line. It has W workers, each
// serving one connection at a time for a fixed service time (a wait: the
// server's own back end), so that its capacity is W / service time
// requests a second whatever else the machine runs. A connection that
// finds every worker busy waits, fully connected, in the kernel's accept
// queue, whose length is the listen backlog, set explicitly (Go's
// net.Listen always asks for net.core.somaxconn). Linux holds backlog+1
// connections there; beyond that it drops the client's SYN without a word
// (net.ipv4.tcp_abort_on_overflow is 0 by default), and the client's
// kernel sends it again after 1 s, then 3 s, 7 s, ...: a client with a
// shorter timeout times out connecting. Nothing is refused while the
// server listens.
//
// Like Go's HTTP server, a worker notices a client that hangs up while its
// request is served, and drops the work. The server counts what it
// accepted, answered, and dropped for a client that had gone, the deepest its
// accept queue got, the errors accepting (too many open files), and the
// kernel's own counts of SYNs dropped for a full queue (TcpExt
// ListenOverflows and ListenDrops, which are per network namespace: other
// listeners in it would add to them).
package loopback
