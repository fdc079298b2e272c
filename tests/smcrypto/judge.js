// An independent judge of ecenter's SM2 signatures: the published npm package sm-crypto (JavaScript,
// shares no code with ecenter, RustCrypto, OpenSSL or gmssl). Every signature is SM2 with SM3
// under the GM/T 0009 distinguishing ID 1234567812345678, DER-encoded (GB/T 35276 §7).
//
//   node judge.js verify CERT_PEM DATA SIG_DER
//       prints {"valid": true|false}: sm-crypto's verdict on SIG_DER over the bytes of DATA
//   node judge.js verify-parts PARTS_JSON
//       PARTS_JSON is [{"label", "public_hex", "message_hex", "signature_hex"}, ...];
//       prints {label: true|false, ...}
//   node judge.js sign KEY_PEM CERT_PEM DATA OUT [COUNT]
//       writes COUNT (default 1) DER signatures by sm-crypto over DATA to OUT, OUT.1, OUT.2, ...
'use strict'

const crypto = require('crypto')
const fs = require('fs')
const { sm2 } = require('sm-crypto')

const OPTIONS = { der: true, hash: true, userId: '1234567812345678' }

/** The uncompressed point (hex, 04 first) of the certificate's subject public key. */
function publicHex (certPath) {
  const cert = new crypto.X509Certificate(fs.readFileSync(certPath))
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' })
  return spki.subarray(spki.length - 65).toString('hex')
}

/** The private scalar (hex) of a PKCS#8 PEM holding an RFC 5915 ECPrivateKey: the 32-byte
 * OCTET STRING after version 1 (`02 01 01 04 20`). */
function privateHex (keyPath) {
  const pem = fs.readFileSync(keyPath, 'utf8')
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
  const at = der.indexOf(Buffer.from([0x02, 0x01, 0x01, 0x04, 0x20]))
  if (at < 0) throw new Error(`${keyPath}: no ECPrivateKey inside`)
  return der.subarray(at + 5, at + 37).toString('hex')
}

function verify (publicKey, message, signatureHex) {
  return sm2.doVerifySignature(Array.from(message), signatureHex, publicKey, OPTIONS)
}

function main (argv) {
  const [command, ...args] = argv
  if (command === 'verify') {
    const [cert, data, sig] = args
    const valid = verify(publicHex(cert), fs.readFileSync(data), fs.readFileSync(sig).toString('hex'))
    return { valid }
  }
  if (command === 'verify-parts') {
    const verdicts = {}
    for (const part of JSON.parse(fs.readFileSync(args[0], 'utf8'))) {
      const message = Buffer.from(part.message_hex, 'hex')
      verdicts[part.label] = verify(part.public_hex, message, part.signature_hex)
    }
    return verdicts
  }
  if (command === 'sign') {
    const [key, cert, data, out, count] = args
    const message = Array.from(fs.readFileSync(data))
    const options = { ...OPTIONS, publicKey: publicHex(cert) }
    for (let i = 0; i < Number(count || 1); i++) {
      const signature = sm2.doSignature(message, privateHex(key), options)
      fs.writeFileSync(i === 0 ? out : `${out}.${i}`, Buffer.from(signature, 'hex'))
    }
    return { written: Number(count || 1) }
  }
  throw new Error(`unknown command ${command}: verify, verify-parts or sign`)
}

try {
  console.log(JSON.stringify(main(process.argv.slice(2))))
} catch (e) {
  console.error(e.message)
  process.exit(2)
}
