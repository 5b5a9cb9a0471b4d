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
