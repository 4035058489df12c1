{{/*
Names, labels and the shared pieces of every farpoint workload.
*/}}

{{- define "farpoint.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "farpoint.fullname" -}}
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

{{- define "farpoint.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "farpoint.labels" -}}
helm.sh/chart: {{ include "farpoint.chart" . }}
app.kubernetes.io/name: {{ include "farpoint.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: farpoint
{{- end -}}

{{/* Selector labels of one service: call with (dict "root" $ "name" "gateway"). */}}
{{- define "farpoint.selectorLabels" -}}
app.kubernetes.io/name: {{ include "farpoint.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* The object name of one service: <fullname>-<service>. */}}
{{- define "farpoint.componentName" -}}
{{- printf "%s-%s" (include "farpoint.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "farpoint.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "farpoint.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The full Kafka topic a service consumes ("" when it consumes none). */}}
{{- define "farpoint.topic" -}}
{{- if .svc.kafka.topic -}}
{{- printf "%s%s" .root.Values.kafka.topicPrefix .svc.kafka.topic -}}
{{- end -}}
{{- end -}}

{{/* Whether KEDA scales this service: "true" or "". */}}
{{- define "farpoint.kedaScaled" -}}
{{- if and .root.Values.keda.enabled .svc.enabled .svc.kafka.topic -}}true{{- end -}}
{{- end -}}

{{/* Whether an HPA scales this service: "true" or "". KEDA wins over the HPA. */}}
{{- define "farpoint.hpaScaled" -}}
{{- if and .svc.enabled .svc.hpa.enabled (not (include "farpoint.kedaScaled" .)) -}}true{{- end -}}
{{- end -}}

{{/* The image reference for a service: CUDA image for GPU-enabled services; digest wins. */}}
{{- define "farpoint.image" -}}
{{- $img := ternary .root.Values.cudaImage .root.Values.image .svc.gpu.enabled -}}
{{- $defaultTag := ternary (printf "%s-cuda" .root.Chart.AppVersion) .root.Chart.AppVersion .svc.gpu.enabled -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default $defaultTag $img.tag) -}}
{{- end -}}
{{- end -}}

{{/* Checks the schema cannot express; a failure names the value to change. */}}
{{- define "farpoint.validate" -}}
{{- $root := . -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled -}}
{{- if gt (int $svc.hpa.minReplicas) (int $svc.hpa.maxReplicas) -}}
{{- fail (printf "services.%s.hpa.minReplicas (%d) exceeds hpa.maxReplicas (%d)" $name (int $svc.hpa.minReplicas) (int $svc.hpa.maxReplicas)) -}}
{{- end -}}
{{- if gt (int $svc.scaling.minReplicas) (int $svc.scaling.maxReplicas) -}}
{{- fail (printf "services.%s.scaling.minReplicas (%d) exceeds scaling.maxReplicas (%d)" $name (int $svc.scaling.minReplicas) (int $svc.scaling.maxReplicas)) -}}
{{- end -}}
{{- if and (include "farpoint.kedaScaled" (dict "root" $root "svc" $svc)) (not $root.Values.keda.allowIdleConsumers) (gt (int $svc.scaling.maxReplicas) (int $root.Values.kafka.partitions)) -}}
{{- fail (printf "services.%s.scaling.maxReplicas (%d) exceeds kafka.partitions (%d): consumers past the partition count sit idle; add partitions first (or set keda.allowIdleConsumers)" $name (int $svc.scaling.maxReplicas) (int $root.Values.kafka.partitions)) -}}
{{- end -}}
{{- if and $svc.service.enabled (ne $name "gateway") -}}
{{- fail (printf "services.%s.service.enabled: only the gateway serves REST through a Service" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and .Values.kafka.tls.enabled (not .Values.kafka.tls.caSecret) -}}
{{- fail "kafka.tls.enabled needs kafka.tls.caSecret (the Secret with the cluster CA)" -}}
{{- end -}}
{{- end -}}
