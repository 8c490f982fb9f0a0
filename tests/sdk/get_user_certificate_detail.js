// get_user_certificate_detail.js: the official Node SDK against the emulator (see run.sh).
const Cas = require('@alicloud/cas20200407');
const OpenApi = require('@alicloud/openapi-client');
async function main() {
  const [endpoint, ak, sk, certId, badId] = process.argv.slice(2);
  const cfg = new OpenApi.Config({ accessKeyId: ak, accessKeySecret: sk, endpoint, protocol: 'http' });
  const c = new Cas.default(cfg);
  const r = await c.getUserCertificateDetail(new Cas.GetUserCertificateDetailRequest({ certId: Number(certId) }));
  const b = r.body;
  console.log(JSON.stringify({ status: r.statusCode, id: b.id, common: b.common, sans: b.sans, notAfter: b.notAfter,
    chain: (b.certChain || []).map(x => x.commonName), certBlocks: (b.cert.match(/BEGIN CERTIFICATE/g) || []).length,
    hasKey: /PRIVATE KEY/.test(b.key || ''), startDate: b.startDate, endDate: b.endDate, tags: (b.tags || []).length }));
  const f = await c.getUserCertificateDetail(new Cas.GetUserCertificateDetailRequest({ certId: Number(certId), certFilter: true }));
  console.log(JSON.stringify({ filtered: true, cert: f.body.cert === undefined ? 'absent' : 'present', key: f.body.key === undefined ? 'absent' : 'present' }));
  try { await c.getUserCertificateDetail(new Cas.GetUserCertificateDetailRequest({ certId: Number(badId) })); }
  catch (e) { console.log(JSON.stringify({ unknown: true, code: e.code, status: e.statusCode })); }
}
main().catch(e => { console.error('SDK error', e.code, e.message); process.exit(1); });
