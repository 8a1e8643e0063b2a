{{/* Name of the chart (or nameOverride), at most 40 characters. */}}
{{- define "sdb-tls-guard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name of the release's objects. Kept to 40 characters so that the derived names
(<fullname>-bootstrap-certs, <fullname>-reconciler, ...) stay valid.
*/}}
{{- define "sdb-tls-guard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sdb-tls-guard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sdb-tls-guard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sdb-tls-guard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sdb-tls-guard.labels" -}}
helm.sh/chart: {{ include "sdb-tls-guard.chart" . }}
{{ include "sdb-tls-guard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "sdb-tls-guard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sdb-tls-guard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sdb-tls-guard.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The reconciler's leader-election Lease (src/controller DEFAULT_LEASE_NAME; not a flag). */}}
{{- define "sdb-tls-guard.leaseName" -}}sdb-tls-guard-reconciler{{- end -}}

{{/* Secret of the bootstrap mode (CA + serving certificate kept by the service). */}}
{{- define "sdb-tls-guard.bootstrapSecretName" -}}
{{- default (printf "%s-bootstrap-certs" (include "sdb-tls-guard.fullname" .)) .Values.certificates.bootstrap.secretName -}}
{{- end -}}

{{/* Secret cert-manager writes the serving certificate to (cert-manager mode). */}}
{{- define "sdb-tls-guard.servingSecretName" -}}
{{- printf "%s-tls" (include "sdb-tls-guard.fullname" .) -}}
{{- end -}}

{{- define "sdb-tls-guard.servingCertificateName" -}}
{{- printf "%s-serving" (include "sdb-tls-guard.fullname" .) -}}
{{- end -}}

{{/* Mode checks, so that templates never compare strings by hand. */}}
{{- define "sdb-tls-guard.certManager" -}}
{{- if eq .Values.certificates.mode "cert-manager" -}}true{{- end -}}
{{- end -}}
{{- define "sdb-tls-guard.bootstrap" -}}
{{- if eq .Values.certificates.mode "bootstrap" -}}true{{- end -}}
{{- end -}}

{{/* Directory the serving certificate files are read from. */}}
{{- define "sdb-tls-guard.certDir" -}}
{{- if include "sdb-tls-guard.bootstrap" . -}}/tmp/certs{{- else -}}/certs{{- end -}}
{{- end -}}

{{/*
One webhook configuration, rendered from the generated copy of webhook-config/<file>
(files/webhook-config/, identical to webhook-config/: see scripts/render-webhook-config.sh).
Only install-specific fields are replaced. Call with (dict "root" $ "file" "validating.yaml").
*/}}
{{- define "sdb-tls-guard.webhookConfiguration" -}}
{{- $root := .root -}}
{{- $doc := $root.Files.Get (printf "files/webhook-config/%s" .file) | fromYaml -}}
{{- if or (not $doc) (hasKey $doc "Error") -}}
{{- fail (printf "files/webhook-config/%s is missing or not YAML: run scripts/render-webhook-config.sh" .file) -}}
{{- end -}}
{{- $fullname := include "sdb-tls-guard.fullname" $root -}}
{{- $meta := dict "name" $fullname "labels" (merge (include "sdb-tls-guard.labels" $root | fromYaml) (dict "app.kubernetes.io/component" "webhook")) -}}
{{- if include "sdb-tls-guard.certManager" $root -}}
{{- $_ := set $meta "annotations" (dict "cert-manager.io/inject-ca-from" (printf "%s/%s" $root.Release.Namespace (include "sdb-tls-guard.servingCertificateName" $root))) -}}
{{- end -}}
{{- $_ := set $doc "metadata" $meta -}}
{{- $excluded := concat (list "kube-system" $root.Release.Namespace) $root.Values.webhook.excludeNamespaces | uniq -}}
{{- range $doc.webhooks -}}
{{- $_ := set .clientConfig.service "name" $fullname -}}
{{- $_ := set .clientConfig.service "namespace" $root.Release.Namespace -}}
{{- $_ := set .clientConfig.service "port" (int $root.Values.service.port) -}}
{{- $_ := set . "failurePolicy" $root.Values.webhook.failurePolicy -}}
{{- $_ := set . "timeoutSeconds" (int $root.Values.webhook.timeoutSeconds) -}}
{{- $_ := set . "namespaceSelector" (dict "matchExpressions" (list (dict "key" "kubernetes.io/metadata.name" "operator" "NotIn" "values" $excluded))) -}}
{{- end -}}
{{- toYaml $doc -}}
{{- end -}}

{{/* A duration of values.yaml (`90s`, `30m`, `6h`, `14d`; values.schema.json checks the
form) in seconds, for PromQL comparisons. */}}
{{- define "sdb-tls-guard.seconds" -}}
{{- $v := toString . -}}
{{- $n := regexFind "^[0-9]+" $v -}}
{{- $unit := trimPrefix $n $v -}}
{{- mul (atoi $n) (get (dict "s" 1 "m" 60 "h" 3600 "d" 86400) $unit) -}}
{{- end -}}

{{/* The webhook names of webhook-config/ (what the API server's admission metrics call
them), as one PromQL regular expression: `validate\\.sdb-tls-guard\\.io|...`. */}}
{{- define "sdb-tls-guard.webhookNamesRegex" -}}
{{- $names := list -}}
{{- range $f := list "validating.yaml" "mutating.yaml" -}}
{{- range ($.Files.Get (printf "files/webhook-config/%s" $f) | fromYaml).webhooks -}}
{{- $names = append $names (.name | replace "." "\\\\.") -}}
{{- end -}}
{{- end -}}
{{- join "|" $names -}}
{{- end -}}
