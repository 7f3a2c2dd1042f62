#!/usr/bin/env python3
"""wanrelay.py LISTEN_ADDR LISTEN_PORT SERVER_ADDR SERVER_PORT DELAY_MS LOSS_PCT [SEED]

An emulated WAN link for UDP, for kernels without netem: every datagram that reaches
LISTEN_ADDR:LISTEN_PORT is sent on to SERVER_ADDR:SERVER_PORT, and every answer back to its
sender, each after DELAY_MS milliseconds (one way, so the round trip gains twice that) and
each dropped with probability LOSS_PCT % (both directions, seeded). One upstream socket per
sender, so the server sees one peer per resolver port as it would across a real link.
"""
import asyncio
import random
import sys

listen_addr, listen_port, srv_addr, srv_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
delay = float(sys.argv[5]) / 1000.0
loss = float(sys.argv[6]) / 100.0
rng = random.Random(int(sys.argv[7]) if len(sys.argv) > 7 else 1)


class Upstream(asyncio.DatagramProtocol):
    def __init__(self, front, peer):
        self.front, self.peer, self.transport = front, peer, None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if rng.random() >= loss:
            asyncio.get_running_loop().call_later(delay, self.front.transport.sendto, data,
                                                  self.peer)


class Front(asyncio.DatagramProtocol):
    def __init__(self):
        self.transport, self.up = None, {}

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if rng.random() < loss:
            return
        asyncio.get_running_loop().call_later(delay, self.forward, data, addr)

    def forward(self, data, addr):
        up = self.up.get(addr)
        if up is None:  # the first datagram from this sender: open its upstream socket
            self.up[addr] = [data]
            asyncio.ensure_future(self.open(addr))
        elif isinstance(up, list):  # still opening
            up.append(data)
        else:
            up.transport.sendto(data)

    async def open(self, addr):
        loop = asyncio.get_running_loop()
        _, up = await loop.create_datagram_endpoint(lambda: Upstream(self, addr),
                                                    remote_addr=(srv_addr, srv_port))
        for data in self.up[addr]:
            up.transport.sendto(data)
        self.up[addr] = up


async def main():
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Front, local_addr=(listen_addr, listen_port))
    await asyncio.Event().wait()

asyncio.run(main())
