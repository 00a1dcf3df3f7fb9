import { createHash, verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import {
  BasicOCSPResponse, CertID, OCSPRequest, OCSPResponse, OCSPResponseStatus, Request, TBSRequest, id_kp_OCSPSigning, id_pkix_ocsp_basic,
} from '@peculiar/asn1-ocsp';
import { fail } from '../model/gatehouse-error.js';

/** What a responder said about one certificate, checked: it is about that certificate and signed by its issuer (or the issuer's delegate). */
export interface OcspAnswer {
  status: 'good' | 'revoked' | 'unknown';
  thisUpdate: Date;
  /** Absent when the responder promises nothing (newer information may be available at any time). */
  nextUpdate: Date | undefined;
  revokedAt: Date | undefined;
}

const SHA1 = '1.3.14.3.2.26';

/** The DER of id-ad-ocsp (1.3.6.1.5.5.7.48.1), the access method of an OCSP responder in Authority Information Access. */
const ID_AD_OCSP = Buffer.from('06082b06010505073001', 'hex');

/** The OCSP responder a certificate names (its Authority Information Access), or undefined when it names none. */
export function ocspResponderUrl(leafDer: Buffer): string | undefined {
  // No id-ad-ocsp OID in the DER, no responder: most certificates are answered without parsing them.
  if (!leafDer.includes(ID_AD_OCSP)) return undefined;
  const info = new X509Certificate(leafDer).infoAccess;
  if (!info) return undefined;
  for (const line of info.split('\n')) {
    const m = /^OCSP - URI:(https?:\/\/\S+)$/.exec(line.trim());
    if (m) return m[1];
  }
  return undefined;
}

/** The CertID of RFC 6960 §4.1.1 for `leaf` issued by `issuer` (SHA-1, as every responder takes). */
function certId(leafDer: Buffer, issuerDer: Buffer): CertID {
  const leaf = AsnConvert.parse(leafDer, Certificate);
  const issuer = AsnConvert.parse(issuerDer, Certificate);
  const nameDer = Buffer.from(AsnConvert.serialize(issuer.tbsCertificate.subject));
  const keyBits = Buffer.from(issuer.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA1, parameters: null }),
    issuerNameHash: new OctetString(createHash('sha1').update(nameDer).digest()),
    issuerKeyHash: new OctetString(createHash('sha1').update(keyBits).digest()),
    serialNumber: leaf.tbsCertificate.serialNumber,
  });
}

/** An unsigned OCSP request (DER) for one certificate. */
export function buildOcspRequest(leafDer: Buffer, issuerDer: Buffer): Buffer {
  const request = new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certId(leafDer, issuerDer) })] }) });
  return Buffer.from(AsnConvert.serialize(request));
}

/** Signature algorithms a responder uses, as node's crypto.verify names the digest (null: the key decides, Ed25519). */
const SIGNATURE_DIGESTS: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1', '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1', '1.2.840.10045.4.3.2': 'sha256', '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
};

/**
 * Reads a responder's answer (DER) about `leaf`, and checks it before anything may staple it: a
 * successful basic response, a single response whose CertID is this certificate's, signed by the
 * issuer or by a responder certificate the issuer signed for OCSP signing. Throws GH_OCSP_INVALID
 * saying what is wrong.
 */
export function readOcspResponse(der: Buffer, leafDer: Buffer, issuerDer: Buffer): OcspAnswer {
  let response: OCSPResponse;
  let basic: BasicOCSPResponse;
  try {
    response = AsnConvert.parse(der, OCSPResponse);
  } catch {
    throw fail('GH_OCSP_INVALID', 'The OCSP responder answered something that is not an OCSP response.');
  }
  if (response.responseStatus !== OCSPResponseStatus.successful) {
    throw fail('GH_OCSP_INVALID', `The OCSP responder answered "${OCSPResponseStatus[response.responseStatus] ?? response.responseStatus}" instead of a status.`);
  }
  if (!response.responseBytes || response.responseBytes.responseType !== id_pkix_ocsp_basic) {
    throw fail('GH_OCSP_INVALID', 'The OCSP response is not a basic OCSP response.');
  }
  try {
    basic = AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
  } catch {
    throw fail('GH_OCSP_INVALID', 'The OCSP response\'s body cannot be read.');
  }
  const wanted = certId(leafDer, issuerDer);
  const same = (a: ArrayBuffer | OctetString, b: ArrayBuffer | OctetString) =>
    Buffer.from(a instanceof OctetString ? a.buffer : a).equals(Buffer.from(b instanceof OctetString ? b.buffer : b));
  const single = basic.tbsResponseData.responses.find((r) => r.certID.hashAlgorithm.algorithm === SHA1 &&
    same(r.certID.issuerNameHash, wanted.issuerNameHash) && same(r.certID.issuerKeyHash, wanted.issuerKeyHash) &&
    same(r.certID.serialNumber, wanted.serialNumber));
  if (!single) throw fail('GH_OCSP_INVALID', 'The OCSP response is about another certificate.');
  const signer = responderKey(basic, issuerDer);
  const digest = SIGNATURE_DIGESTS[basic.signatureAlgorithm.algorithm];
  if (digest === undefined) throw fail('GH_OCSP_INVALID', `The OCSP response is signed with an algorithm Gatehouse does not check (${basic.signatureAlgorithm.algorithm}).`);
  const tbs = basic.tbsResponseDataRaw ? Buffer.from(basic.tbsResponseDataRaw) : Buffer.from(AsnConvert.serialize(basic.tbsResponseData));
  if (!verifySignature(digest, tbs, signer, Buffer.from(basic.signature))) {
    throw fail('GH_OCSP_INVALID', 'The OCSP response\'s signature does not verify: it was not signed by the issuer or its OCSP responder.');
  }
  const status = single.certStatus.revoked ? 'revoked' : single.certStatus.good !== undefined ? 'good' : 'unknown';
  return { status, thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate, revokedAt: single.certStatus.revoked?.revocationTime };
}

/** The key that must have signed the response: the issuer's, or a delegated responder's that the issuer certified for OCSP signing. */
function responderKey(basic: BasicOCSPResponse, issuerDer: Buffer): KeyObject {
  const issuer = new X509Certificate(issuerDer);
  const id = basic.tbsResponseData.responderID;
  const issuerKeyHash = createHash('sha1').update(Buffer.from(AsnConvert.parse(issuerDer, Certificate).tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)).digest();
  const byIssuer = id.byKey
    ? Buffer.from(id.byKey.buffer).equals(issuerKeyHash)
    : id.byName !== undefined && Buffer.from(AsnConvert.serialize(id.byName)).equals(Buffer.from(AsnConvert.serialize(AsnConvert.parse(issuerDer, Certificate).tbsCertificate.subject)));
  if (byIssuer) return issuer.publicKey;
  for (const c of basic.certs ?? []) {
    const delegate = new X509Certificate(Buffer.from(AsnConvert.serialize(c)));
    if (!delegate.verify(issuer.publicKey)) continue;
    if (!(delegate.keyUsage ?? []).includes(id_kp_OCSPSigning)) continue;
    return delegate.publicKey;
  }
  throw fail('GH_OCSP_INVALID', 'The OCSP response is signed by a responder the certificate\'s issuer did not authorize.');
}
