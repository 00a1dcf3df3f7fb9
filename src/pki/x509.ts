// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect metadata
// polyfill loaded first. Every module imports the library through this file, so the order holds.
import 'reflect-metadata';

export * from '@peculiar/x509';
