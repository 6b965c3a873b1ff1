#!/usr/bin/env python3
"""bench/net_client.py PORT: measure a TCP echo service on 127.0.0.1:PORT, as scripts/bench
does for each port forwarder (husk -p, docker-proxy, pasta, and none): throughput (MB/s of
256 MiB sent and echoed back at once on one connection, best of 3), the median round trip
of one byte (2000 on one connection), and the median of connect + one byte back + close
(300 connections). Prints "THROUGHPUT_MBS RTT_US CONNECT_US"; the throughput is "lost-bytes"
when less came back than was sent."""
import socket
import statistics
import sys
import threading
import time

port = int(sys.argv[1])
addr = ("127.0.0.1", port)


def wait_ready():
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with socket.create_connection(addr, timeout=1) as s:
                s.sendall(b"x")
                if s.recv(1) == b"x":
                    return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"net_client: nothing answers on {port}")


def throughput(total=256 << 20):
    s = socket.create_connection(addr)
    chunk = b"\xa5" * (1 << 16)

    def send():
        left = total
        while left > 0:
            left -= s.send(chunk[: min(len(chunk), left)])
        s.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=send)
    start = time.perf_counter()
    t.start()
    got = 0
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        got += len(b)
    t.join()
    elapsed = time.perf_counter() - start
    s.close()
    if got != total:
        print(f"net_client: {got} of {total} bytes came back", file=sys.stderr)
        return None
    return total / elapsed / 1e6


def rtt(n=2000):
    s = socket.create_connection(addr)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        s.sendall(b"p")
        s.recv(1)
        times.append(time.perf_counter() - start)
    s.close()
    return statistics.median(times) * 1e6


def connects(n=300):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        with socket.create_connection(addr) as s:
            s.sendall(b"c")
            s.recv(1)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


wait_ready()
runs = [throughput() for _ in range(3)]
mbs = "lost-bytes" if None in runs else f"{max(runs):.0f}"
print(f"{mbs} {rtt():.1f} {connects():.1f}")
