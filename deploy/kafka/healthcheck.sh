#!/bin/bash
# Healthy once the broker has answered one real metadata request (topic list through its own
# admin tool); afterwards a cheap check that the port still accepts connections, so a running
# stack does not start a JVM every interval.
set -euo pipefail

port="${KAFKA_PORT:-9092}"
marker=/tmp/whisk-kafka-ready

(exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null || exit 1
[[ -f "${marker}" ]] && exit 0
java -Xmx96m -XX:TieredStopAtLevel=1 -cp "/opt/kafka/libs/*" \
    -Dlog4j2.configurationFile=/etc/kafka/log4j2.yaml \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:${port}" --list >/dev/null
touch "${marker}"
