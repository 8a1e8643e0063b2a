// What /readyz answers: the readiness of the process and of each informer cache. Shared by
// the server (which serves it) and kube (whose informers report it), so it lives below both.

export interface CacheReadiness {
  resource: string;
  synced: boolean;
  objects: number;
  /** false for a cache only the reconciler reads: reported here, never waited for. */
  gatesReadiness?: boolean;
  /** Set while the cache is not synced: why (CRD missing, watch error, ...). */
  reason?: string;
}

export interface ReadinessReport {
  ready: boolean;
  /** `evaluated` with a kubeconfig; `not-evaluated` without one. */
  clusterRules: 'evaluated' | 'not-evaluated';
  message: string;
  caches?: CacheReadiness[];
}
