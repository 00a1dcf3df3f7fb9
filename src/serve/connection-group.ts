import type { TLSSocket } from 'node:tls';
import { negotiatedGroup } from '../model/tls-group.js';

const GROUP = Symbol('gatehouse.tlsGroup');

/**
 * The TLS key exchange group of a request's connection, worked out on the connection's first
 * request and kept on the socket for the ones after it. An HTTP/2 request's `socket` is a view
 * that hands property reads and writes through to the connection's TLS socket, so every stream of
 * one connection shares the answer too.
 */
export function connectionGroup(socket: TLSSocket): string | undefined {
  const holder = socket as TLSSocket & { [GROUP]?: string };
  let group = holder[GROUP];
  if (group === undefined) {
    group = typeof socket.getSession === 'function' ? (negotiatedGroup(socket) ?? '') : '';
    holder[GROUP] = group;
  }
  return group === '' ? undefined : group;
}
