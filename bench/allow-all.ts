// The allow-all reference of `npm run bench:e2e`: a minimal Node HTTPS webhook, as a
// child process, with Node's default server settings. /validate answers allowed; /mutate
// answers allowed with the JSON patch given in ALLOW_ALL_PATCH (base64, the one our
// /mutate writes for the benchmark's request), so the API server applies the same patch.
// Its serving certificate is ECDSA P-256 like sdb-tls-guard's --self-signed one; the CA
// goes to ALLOW_ALL_CA_OUT and the line `allow-all listening <port>` to stdout.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { generate } from 'selfsigned';

async function main(): Promise<void> {
  const patch = process.env['ALLOW_ALL_PATCH'] ?? '';
  const caOut = process.env['ALLOW_ALL_CA_OUT'];
  if (!caOut) throw new Error('ALLOW_ALL_CA_OUT is required');
  const now = Date.now();
  const base = { keyType: 'ec' as const, curve: 'P-256' as const, algorithm: 'sha256' as const, notBeforeDate: new Date(now - 3600_000), notAfterDate: new Date(now + 86400_000) };
  const ca = await generate([{ name: 'commonName', value: 'allow-all bench CA' }], {
    ...base,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const serving = await generate([{ name: 'commonName', value: 'allow-all' }], {
    ...base,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7 as const, ip: '127.0.0.1' }] },
    ],
  });
  writeFileSync(caOut, ca.cert);
  const server = createServer({ cert: serving.cert, key: serving.private }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let uid = '';
      try {
        uid = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request?: { uid?: string } }).request?.uid ?? '';
      } catch {
        // answer anyway
      }
      const response: Record<string, unknown> = { uid, allowed: true };
      // The API server calls <path>?timeout=<n>s.
      if (req.url?.split('?')[0] === '/mutate' && patch) Object.assign(response, { patchType: 'JSONPatch', patch });
      const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    process.stdout.write(`allow-all listening ${typeof a === 'object' && a ? a.port : 0}\n`);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`allow-all: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
