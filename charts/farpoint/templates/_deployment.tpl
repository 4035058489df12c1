{{/*
The secrets-backed environment every farpoint container gets (the services and the retention
CronJob): S3 credentials, the records database URL, Kafka SASL, a private S3 CA. Call with $.
*/}}
{{- define "farpoint.secretEnv" -}}
{{- $v := .Values -}}
- name: FARPOINT_S3__ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.s3.existingSecret }}
      key: {{ $v.s3.accessKeyKey }}
- name: FARPOINT_S3__SECRET_KEY_FILE
  value: /var/run/secrets/farpoint/s3/secret-key
{{- if $v.database.existingSecret }}
- name: FARPOINT_DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.database.existingSecret }}
      key: {{ $v.database.urlKey }}
{{- end }}
{{- if $v.kafka.sasl.enabled }}
- name: FARPOINT_KAFKA__SASL_PASSWORD_FILE
  value: /var/run/secrets/farpoint/kafka-sasl/password
{{- end }}
{{- if $v.s3.caSecret }}
- name: SSL_CERT_FILE
  value: /var/run/secrets/farpoint/s3-ca/ca.crt
{{- end }}
{{- end -}}

{{/* The volume mounts of every farpoint container (the root filesystem is read-only). */}}
{{- define "farpoint.volumeMounts" -}}
{{- $v := .Values -}}
- {name: tmp, mountPath: /tmp}
- {name: cache, mountPath: /cache}
- {name: dshm, mountPath: /dev/shm}
- {name: s3-credentials, mountPath: /var/run/secrets/farpoint/s3, readOnly: true}
{{- if $v.kafka.sasl.enabled }}
- {name: kafka-sasl, mountPath: /var/run/secrets/farpoint/kafka-sasl, readOnly: true}
{{- end }}
{{- if $v.kafka.tls.enabled }}
- {name: kafka-ca, mountPath: /var/run/secrets/farpoint/kafka-ca, readOnly: true}
{{- end }}
{{- if $v.s3.caSecret }}
- {name: s3-ca, mountPath: /var/run/secrets/farpoint/s3-ca, readOnly: true}
{{- end }}
{{- end -}}

{{/* The pod volumes behind farpoint.volumeMounts. */}}
{{- define "farpoint.volumes" -}}
{{- $v := .Values -}}
- name: tmp
  emptyDir: {sizeLimit: {{ $v.volumes.tmpSizeLimit }}}
- name: cache
  emptyDir: {sizeLimit: {{ $v.volumes.cacheSizeLimit }}}
- name: dshm
  emptyDir: {medium: Memory, sizeLimit: {{ $v.volumes.shmSizeLimit }}}
- name: s3-credentials
  secret:
    secretName: {{ $v.s3.existingSecret }}
    defaultMode: 0440
    items:
      - {key: {{ $v.s3.secretKeyKey }}, path: secret-key}
{{- if $v.kafka.sasl.enabled }}
- name: kafka-sasl
  secret:
    secretName: {{ $v.kafka.sasl.existingSecret }}
    defaultMode: 0440
    items:
      - {key: {{ $v.kafka.sasl.passwordKey }}, path: password}
{{- end }}
{{- if $v.kafka.tls.enabled }}
- name: kafka-ca
  secret:
    secretName: {{ $v.kafka.tls.caSecret }}
    defaultMode: 0444
    items:
      - {key: {{ $v.kafka.tls.caKey }}, path: ca.crt}
{{- end }}
{{- if $v.s3.caSecret }}
- name: s3-ca
  secret:
    secretName: {{ $v.s3.caSecret }}
    defaultMode: 0444
    items:
      - {key: {{ $v.s3.caKey }}, path: ca.crt}
{{- end }}
{{- end -}}

{{/*
One farpoint service as a Deployment: call with (dict "root" $ "name" "embedding" "svc" $svc).
Every service is the same image running `farpoint serve <name>`; what differs is in values.
*/}}
{{- define "farpoint.deployment" -}}
{{- $root := .root -}}
{{- $svc := .svc -}}
{{- $name := .name -}}
{{- $ctx := dict "root" $root "name" $name "svc" $svc -}}
{{- $v := $root.Values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "farpoint.componentName" $ctx }}
  labels:
    {{- include "farpoint.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $name }}
spec:
  {{- if not (or (include "farpoint.kedaScaled" $ctx) (include "farpoint.hpaScaled" $ctx)) }}
  replicas: {{ $svc.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "farpoint.selectorLabels" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: {{ $svc.rollout.maxSurge }}
      maxUnavailable: {{ $svc.rollout.maxUnavailable }}
  template:
    metadata:
      labels:
        {{- include "farpoint.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ $name }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include "farpoint.configData" $root | sha256sum }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $svc.port | quote }}
        prometheus.io/path: /metrics
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "farpoint.serviceAccountName" $root }}
      automountServiceAccountToken: {{ $v.serviceAccount.automountToken }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $svc.terminationGracePeriodSeconds }}
      {{- $nodeSelector := $svc.nodeSelector -}}
      {{- if $svc.gpu.enabled }}
      {{- $nodeSelector = merge (deepCopy $svc.nodeSelector) $v.gpu.nodeSelector }}
      {{- end }}
      {{- with $nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- $tolerations := $svc.tolerations -}}
      {{- if $svc.gpu.enabled }}
      {{- $tolerations = concat $v.gpu.tolerations $svc.tolerations }}
      {{- end }}
      {{- with $tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ $name }}
          image: {{ include "farpoint.image" $ctx | quote }}
          imagePullPolicy: {{ (ternary $v.cudaImage $v.image $svc.gpu.enabled).pullPolicy }}
          args: ["serve", {{ $name | quote }}]
          ports:
            - name: http
              containerPort: {{ $svc.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "farpoint.fullname" $root }}
          env:
            - name: FARPOINT_SERVICE
              value: {{ $name | quote }}
            - name: FARPOINT_PORT
              value: {{ $svc.port | quote }}
            - name: FARPOINT_DEVICE
              value: {{ ternary "cuda" "cpu" $svc.gpu.enabled | quote }}
            {{- if $svc.kafka.topic }}
            - name: FARPOINT_KAFKA__TOPIC
              value: {{ include "farpoint.topic" $ctx | quote }}
            {{- end }}
            - name: FARPOINT_KAFKA__CONSUMER_GROUP
              value: {{ $svc.kafka.consumerGroup | quote }}
            {{- include "farpoint.secretEnv" $root | nindent 12 }}
            {{- range $key, $value := $svc.env }}
            - name: {{ $key }}
              value: {{ $value | quote }}
            {{- end }}
          startupProbe:
            httpGet: {path: /healthz, port: http}
            {{- toYaml $v.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet: {path: /healthz, port: http}
            {{- toYaml $v.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet: {path: /readyz, port: http}
            {{- toYaml $v.probes.readiness | nindent 12 }}
          resources:
            requests:
              {{- toYaml $svc.resources.requests | nindent 14 }}
            limits:
              {{- toYaml $svc.resources.limits | nindent 14 }}
              {{- if $svc.gpu.enabled }}
              {{ $v.gpu.resourceName }}: {{ $svc.gpu.count }}
              {{- end }}
          securityContext:
            {{- toYaml $v.containerSecurityContext | nindent 12 }}
          volumeMounts:
            {{- include "farpoint.volumeMounts" $root | nindent 12 }}
      volumes:
        {{- include "farpoint.volumes" $root | nindent 8 }}
{{- end -}}
