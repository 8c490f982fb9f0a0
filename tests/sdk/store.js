// store.js: the official Node SDK against the emulator's certificate store
// (see run.sh): UploadUserCertificate (and NameRepeat), ListUserCertificateOrder
// with and without Status, ListCertificates (not in the published SDK 3.0.0:
// called through the SDK's generic callApi, which signs and parses it the same
// way), GetUserCertificateDetail of an upload, DeleteUserCertificate.
const Cas = require('@alicloud/cas20200407');
const OpenApi = require('@alicloud/openapi-client');
const Util = require('@alicloud/tea-util');
async function main() {
  const [endpoint, ak, sk, cert, key] = process.argv.slice(2);
  const cfg = new OpenApi.Config({ accessKeyId: ak, accessKeySecret: sk, endpoint, protocol: 'http' });
  const c = new Cas.default(cfg);
  const out = (o) => console.log(JSON.stringify(o));
  const up = await c.uploadUserCertificate(new Cas.UploadUserCertificateRequest({ name: 'sdk-up', cert, key }));
  out({ upload: true, certId: up.body.certId, certIdType: typeof up.body.certId, resourceId: up.body.resourceId });
  try { await c.uploadUserCertificate(new Cas.UploadUserCertificateRequest({ name: 'sdk-up', cert, key })); }
  catch (e) { out({ repeat: true, code: e.code, status: e.statusCode }); }
  const l = await c.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ orderType: 'CERT', showSize: 100 }));
  const lx = await c.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ orderType: 'CERT', status: 'EXPIRED', showSize: 100 }));
  const it = l.body.certificateOrderList.find(x => x.certificateId === up.body.certId);
  out({ order: true, total: l.body.totalCount, expiredTotal: lx.body.totalCount, name: it && it.name, upload: it && it.upload,
    fingerprint: it && it.fingerprint, startDate: it && it.startDate, status: it && it.status });
  const params = new OpenApi.Params({ action: 'ListCertificates', version: '2020-04-07', protocol: 'HTTP', pathname: '/',
    method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
  const req = new OpenApi.OpenApiRequest({ query: { ShowSize: '100' } });
  const lc = await c.callApi(params, req, new Util.RuntimeOptions({}));
  const e = lc.body.CertificateList.find(x => x.CertificateId === String(up.body.certId));
  out({ listCertificates: true, total: lc.body.TotalCount, idType: typeof (e && e.CertificateId), ident: e && e.CertIdentifier,
    notAfterType: typeof (e && e.NotAfter), sans: e && e.SubjectAlternativeNames, using: e && e.UsingProductList, source: e && e.CertificateSource });
  const d = await c.getUserCertificateDetail(new Cas.GetUserCertificateDetailRequest({ certId: up.body.certId }));
  out({ detail: true, id: d.body.id, name: d.body.name, buyInAliyun: d.body.buyInAliyun, sameCert: d.body.cert === cert, hasKey: /PRIVATE KEY/.test(d.body.key || '') });
  const del = await c.deleteUserCertificate(new Cas.DeleteUserCertificateRequest({ certId: up.body.certId }));
  out({ deleted: true, status: del.statusCode, requestId: typeof del.body.requestId });
}
main().catch(e => { console.error('SDK error', e.code, e.message); process.exit(1); });
