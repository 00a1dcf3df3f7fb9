import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Loads @peculiar/x509 on first use. It costs about 150 ms to load (with its schema registry), and
 * most commands — listing, showing, renaming — never parse or build a certificate, so the CLI should
 * not pay for it at start. Node's module cache makes later calls free. The Reflect metadata polyfill
 * its registry (tsyringe) needs is loaded first.
 */
export function loadX509(): typeof import('@peculiar/x509') {
  require('reflect-metadata');
  return require('@peculiar/x509') as typeof import('@peculiar/x509');
}

/** node-forge, loaded on first use for the same reason (PKCS#12 only). */
export function loadForge(): typeof import('node-forge') {
  return require('node-forge') as typeof import('node-forge');
}
