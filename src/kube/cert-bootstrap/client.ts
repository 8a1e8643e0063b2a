// The bootstrap loop's Secret and webhook-configuration ports over client-node.
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { isNotFound } from '../ports.js';
import type { BootstrapSecretPort, SecretObject, WebhookConfigObject, WebhookConfigPort } from './ports.js';

export function clientNodeBootstrapPorts(kc: KubeConfig): { secrets: BootstrapSecretPort; webhooks: WebhookConfigPort } {
  const core = kc.makeApiClient(CoreV1Api);
  const adm = kc.makeApiClient(AdmissionregistrationV1Api);
  const orUndefined = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
  return {
    secrets: {
      get: (namespace, name) => orUndefined(core.readNamespacedSecret({ namespace, name }) as Promise<SecretObject>),
      create: (namespace, body) => core.createNamespacedSecret({ namespace, body }) as Promise<SecretObject>,
      replace: (namespace, name, body) =>
        core.replaceNamespacedSecret({ namespace, name, body }) as Promise<SecretObject>,
    },
    webhooks: {
      get: (kind, name) =>
        orUndefined(
          (kind === 'validating'
            ? adm.readValidatingWebhookConfiguration({ name })
            : adm.readMutatingWebhookConfiguration({ name })) as Promise<WebhookConfigObject>,
        ),
      async patch(kind, name, ops) {
        if (kind === 'validating') await adm.patchValidatingWebhookConfiguration({ name, body: ops }, jsonPatch);
        else await adm.patchMutatingWebhookConfiguration({ name, body: ops }, jsonPatch);
      },
    },
  };
}
