{{/* The non-secret settings (ConfigMap data; its hash rolls the pods on a change). */}}
{{- define "farpoint.configData" -}}
{{- $v := .Values -}}
FARPOINT_DEV_MODE: {{ $v.settings.devMode | quote }}
FARPOINT_HOST: {{ $v.settings.listenHost | quote }}
FARPOINT_LOG_LEVEL: {{ $v.settings.logLevel | quote }}
FARPOINT_CACHE_DIR: /cache/farpoint
FARPOINT_KAFKA__BOOTSTRAP: {{ $v.kafka.bootstrap | quote }}
FARPOINT_KAFKA__CLIENT_ID: {{ $v.kafka.clientId | quote }}
FARPOINT_KAFKA__TOPIC_PREFIX: {{ $v.kafka.topicPrefix | quote }}
FARPOINT_KAFKA__PARTITIONS: {{ $v.kafka.partitions | quote }}
FARPOINT_KAFKA__REPLICATION_FACTOR: {{ $v.kafka.replicationFactor | quote }}
{{- $protocol := ternary (ternary "SASL_SSL" "SASL_PLAINTEXT" $v.kafka.tls.enabled) (ternary "SSL" "PLAINTEXT" $v.kafka.tls.enabled) $v.kafka.sasl.enabled }}
FARPOINT_KAFKA__SECURITY_PROTOCOL: {{ $protocol | quote }}
{{- if $v.kafka.sasl.enabled }}
FARPOINT_KAFKA__SASL_MECHANISM: {{ $v.kafka.sasl.mechanism | quote }}
FARPOINT_KAFKA__SASL_USERNAME: {{ $v.kafka.sasl.username | quote }}
{{- end }}
{{- if $v.kafka.tls.enabled }}
FARPOINT_KAFKA__SSL_CAFILE: /var/run/secrets/farpoint/kafka-ca/ca.crt
{{- end }}
FARPOINT_S3__ENDPOINT: {{ $v.s3.endpoint | quote }}
FARPOINT_S3__SECURE: {{ $v.s3.secure | quote }}
FARPOINT_S3__REGION: {{ $v.s3.region | quote }}
FARPOINT_S3__BUCKET: {{ $v.s3.bucket | quote }}
# The root filesystem is read-only: every library cache points at the /cache emptyDir.
HOME: /tmp
XDG_CACHE_HOME: /cache
TORCH_HOME: /cache/torch
MPLCONFIGDIR: /tmp/matplotlib
NUMBA_CACHE_DIR: /tmp/numba
{{- range $key, $value := $v.settings.extraEnv }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- end -}}
