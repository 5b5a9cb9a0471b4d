{{- define "assay.fullname" -}}
{{- if contains "assay" .Release.Name -}}{{ .Release.Name | trunc 40 | trimSuffix "-" }}{{- else -}}{{ printf "%s-assay" .Release.Name | trunc 40 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "assay.labels" -}}
app.kubernetes.io/part-of: assay
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "assay.image" -}}
{{- $root := index . 0 -}}{{- $svc := index . 1 -}}
{{ printf "%s/assay-%s:%s" $root.Values.image.repository $svc (default $root.Chart.AppVersion $root.Values.image.tag) }}
{{- end -}}

{{- define "assay.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
fsGroup: {{ . }}
seccompProfile: { type: RuntimeDefault }
{{- end -}}

{{- define "assay.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities: { drop: [ALL] }
seccompProfile: { type: RuntimeDefault }
{{- end -}}

{{- define "assay.excludedNamespaces" -}}
{{- $ns := list "kube-system" .Release.Namespace -}}
{{- range .Values.webhook.excludeNamespaces }}{{ $ns = append $ns . }}{{ end -}}
{{ toJson (uniq $ns) }}
{{- end -}}

{{- define "assay.natsHeadless" -}}{{ include "assay.fullname" . }}-nats-headless{{- end -}}

{{/* Secret holding one NATS password per service (created by the chart unless nats.auth.existingSecret). */}}
{{- define "assay.natsUsersSecret" -}}
{{- if .Values.nats.auth.existingSecret -}}{{ .Values.nats.auth.existingSecret }}{{- else -}}{{ include "assay.fullname" . }}-nats-users{{- end -}}
{{- end -}}

{{/*
"true" when cert-manager issues the webhook certificate: tls.certManager.enabled true, or auto
(the default) and the cluster serves cert-manager.io/v1; otherwise the certgen hook Jobs do.
*/}}
{{- define "assay.certManager" -}}
{{- $v := toString .Values.tls.certManager.enabled -}}
{{- if not (has $v (list "auto" "true" "false")) }}{{ fail "tls.certManager.enabled must be auto, true or false" }}{{ end -}}
{{- if or (eq $v "true") (and (eq $v "auto") (.Capabilities.APIVersions.Has "cert-manager.io/v1")) -}}true{{- end -}}
{{- end -}}

{{/*
A value nats-server reads from the environment as a plain string: nats-server parses a variable
reference's value as a configuration value, so one starting with a digit is lexed as a number
(`1e5…`, `12kb…` fail to parse and the server does not start) and other characters end the
token. Quoting the reference does not help: `"$VAR"` is the literal text. So: a letter, then
letters and digits.
*/}}
{{- define "assay.natsPasswordPattern" -}}^[A-Za-z][A-Za-z0-9]*$ {{- end -}}

{{/* A random NATS password of that form (32 characters). */}}
{{- define "assay.natsPassword" -}}{{ printf "%s%s" (randAlpha 1) (randAlphaNum 31) }}{{- end -}}

{{/*
The policy API token the chart generates into Secret <release>-policy (kept across upgrades),
or nothing when one is given: services.policy.secretEnv.POLICY_API_TOKEN or
services.policy.existingSecret.
*/}}
{{- define "assay.policyApiToken" -}}
{{- $svc := index .Values.services "policy" -}}
{{- if not (or (hasKey (default dict $svc.secretEnv) "POLICY_API_TOKEN") $svc.existingSecret) -}}
{{- $existing := (lookup "v1" "Secret" .Release.Namespace (printf "%s-policy" (include "assay.fullname" .))).data | default dict -}}
{{- if hasKey $existing "POLICY_API_TOKEN" }}{{ index $existing "POLICY_API_TOKEN" | b64dec }}{{ else }}{{ randAlphaNum 40 }}{{ end -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding POLICY_API_TOKEN: services.policy.existingSecret, or <release>-policy. */}}
{{- define "assay.policySecret" -}}
{{- default (printf "%s-policy" (include "assay.fullname" .)) (index .Values.services "policy").existingSecret -}}
{{- end -}}

{{/* The deployment's one store: the Secret holding MONGO_URL (envFrom of policy and scanner). */}}
{{- define "assay.mongoSecret" -}}
{{- if .Values.mongo.existingSecret -}}{{ .Values.mongo.existingSecret }}{{- else -}}{{ include "assay.fullname" . }}-mongo{{- end -}}
{{- end -}}

{{/* "true" when the chart runs MongoDB itself (no external url or Secret given). */}}
{{- define "assay.mongoBundled" -}}
{{- if and .Values.mongo.enabled (not .Values.mongo.url) (not .Values.mongo.existingSecret) -}}true{{- end -}}
{{- end -}}

{{/* The bundled MongoDB's URL: its one member, by the headless Service's stable name. */}}
{{- define "assay.mongoBundledUrl" -}}
{{- $name := printf "%s-mongo" (include "assay.fullname" .) -}}
{{ printf "mongodb://%s-0.%s.%s.svc.cluster.local:27017/?replicaSet=rs0" $name $name .Release.Namespace }}
{{- end -}}

{{/* The TCP ports of the configured registries (`registries`), as a JSON list without repeats. */}}
{{- define "assay.registryPorts" -}}
{{- $ports := list -}}
{{- range $i, $r := .Values.registries -}}
{{- if not (or (hasPrefix "http://" $r.url) (hasPrefix "https://" $r.url)) }}{{ fail (printf "registries[%d].url must start with http:// or https://" $i) }}{{ end -}}
{{- $u := urlParse $r.url -}}
{{- $hostport := splitList ":" $u.host -}}
{{- $port := ternary (last $hostport) (ternary "443" "80" (eq $u.scheme "https")) (gt (len $hostport) 1) -}}
{{- $ports = append $ports (int $port) -}}
{{- end -}}
{{ toJson (uniq $ports) }}
{{- end -}}

{{/* podAntiAffinity (one term over app.kubernetes.io/name) and zone spread for a component. */}}
{{- define "assay.spread" -}}
{{- $root := index . 0 -}}{{- $name := index . 1 -}}{{- $strict := index . 2 -}}
{{- $sel := dict "app.kubernetes.io/instance" $root.Release.Name "app.kubernetes.io/name" $name -}}
affinity:
  podAntiAffinity:
    {{- if and $strict (eq $root.Values.scheduling.podAntiAffinity "required") }}
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels: {{ toJson $sel }}
    {{- else }}
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels: {{ toJson $sel }}
    {{- end }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: {{ if $strict }}{{ $root.Values.scheduling.zoneSpread }}{{ else }}ScheduleAnyway{{ end }}
    labelSelector:
      matchLabels: {{ toJson $sel }}
{{- end -}}
