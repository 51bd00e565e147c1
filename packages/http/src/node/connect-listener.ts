// Answers CONNECT, which node:http otherwise drops without a word, with a 400 fault: this is an origin server, not a proxy.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { existingConnectionQueue } from './connection-queue.js';
import { endSocketWithReply, malformedRequestReply } from './malformed-request-reply.js';

/**
 * For `server.on('connect', ...)`. Without a listener node closes the connection without an
 * answer; with this one every CONNECT (to a host:port or to a path) gets a 400 `badRequest`
 * fault in the format its `Accept` asks for, with its `x-openstack-request-id` (kept when it has
 * the expected form), then the connection closes. Responses still owed to earlier requests on
 * the connection go out first.
 */
export function createConnectListener(): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket) => {
    const reply = malformedRequestReply('Connect', req.headers);
    // Whatever the client sends after its CONNECT is read and dropped, so it cannot stall the socket.
    socket.resume();
    socket.on('error', () => socket.destroy());
    const answer = () => {
      if (socket.writable) endSocketWithReply(socket, reply, true);
      else socket.destroy();
    };
    const queue = existingConnectionQueue(socket);
    if (queue === null) answer();
    else
      queue.run(true, (done) => {
        answer();
        done();
      });
  };
}
