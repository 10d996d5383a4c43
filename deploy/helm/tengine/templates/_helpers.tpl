{{/* Chart name, shortened to the 63 characters a label value allows. */}}
{{- define "tengine.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name of every object. */}}
{{- define "tengine.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tengine.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tengine.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tengine.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tengine.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "tengine.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tengine.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Secret holding runtime-keys.json, admin-token and redis-url. */}}
{{- define "tengine.secretName" -}}
{{- default (printf "%s-keys" (include "tengine.fullname" .)) .Values.secret.existingSecret -}}
{{- end -}}

{{/* Secret loaded as environment (auth_secret_env values), or empty when there is none. */}}
{{- define "tengine.envSecretName" -}}
{{- if .Values.secret.existingEnvSecret -}}
{{- .Values.secret.existingEnvSecret -}}
{{- else if .Values.secret.env -}}
{{- printf "%s-env" (include "tengine.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* True when the chart makes the bundle ConfigMap itself. */}}
{{- define "tengine.ownBundleConfigMap" -}}
{{- if and (not .Values.bundle.volume) (not .Values.bundle.existingConfigMap) -}}true{{- end -}}
{{- end -}}

{{/* Public key file names, comma-separated, as mounted under /etc/tengine/bundle. */}}
{{- define "tengine.publicKeyFiles" -}}
{{- if .Values.bundle.publicKeyFiles -}}
{{- join "," .Values.bundle.publicKeyFiles -}}
{{- else -}}
{{- $files := list "bundle-signing.pub.pem" -}}
{{- range $i, $_ := .Values.bundle.extraPublicKeys -}}
{{- $files = append $files (printf "bundle-signing-%d.pub.pem" (add $i 1)) -}}
{{- end -}}
{{- join "," $files -}}
{{- end -}}
{{- end -}}

{{/* A duration as the runtime takes it (0, or 500ms, 5s, 1m, 1h) in whole seconds, rounded up; anything else fails. */}}
{{- define "tengine.seconds" -}}
{{- $v := toString . -}}
{{- if eq $v "0" -}}
0
{{- else if regexMatch "^[1-9][0-9]{0,8}ms$" $v -}}
{{- div (add (trimSuffix "ms" $v | atoi) 999) 1000 -}}
{{- else if regexMatch "^[1-9][0-9]{0,8}s$" $v -}}
{{- trimSuffix "s" $v | atoi -}}
{{- else if regexMatch "^[1-9][0-9]{0,8}m$" $v -}}
{{- mul (trimSuffix "m" $v | atoi) 60 -}}
{{- else if regexMatch "^[1-9][0-9]{0,8}h$" $v -}}
{{- mul (trimSuffix "h" $v | atoi) 3600 -}}
{{- else -}}
{{- fail (printf "drain durations look like 5s, 500ms, 1m or 0 (as TENGINE_DRAIN_DELAY takes them), not %q" $v) -}}
{{- end -}}
{{- end -}}
