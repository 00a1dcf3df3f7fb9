/**
 * What "All Unassigned" (`*`) means on this node. A binding or mail listener on `*` listens on
 * every address of the host (`::`, which takes IPv4 too) unless `serve --listen-ip` names one: then
 * on that address only — so several nodes of a farm can run on one host (each on its own address),
 * and a host with several addresses can keep Gatehouse's `*` bindings off the others.
 */
let anyAddress = '::';

/** Sets the address `*` listens on in this process (undefined: every address). */
export function setAnyAddress(ip: string | undefined): void {
  anyAddress = ip ?? '::';
}

/** The host to listen on for a binding's or listener's address. */
export function listenHost(address: string): string {
  return address === '*' ? anyAddress : address;
}
