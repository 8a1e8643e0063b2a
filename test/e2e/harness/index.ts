// The e2e harness: a real kube-apiserver + etcd (./control-plane.ts) with the real
// controllers (./controllers.ts) and a PetSet stand-in (./stand-ins.ts), the published CRDs
// (./crds.ts), the webhook as a child process registered from webhook-config/
// (./webhook.ts), objects and namespaces (./cluster.ts), and a raw HTTPS client that
// shows statuses and Warning headers (./api.ts). docs/e2e.md explains it.
export * from './api.js';
export * from './cluster.js';
export * from './control-plane.js';
export * from './controllers.js';
export * from './crds.js';
export * from './process.js';
export * from './webhook.js';
