#!/bin/bash
# Write the broker's configuration, format the KRaft storage once, run kafka.Kafka in the
# foreground. The same settings as scripts/kafka.sh, with a listener on every address that
# advertises KAFKA_ADVERTISED_HOST:KAFKA_PORT (the service name on the compose network).
set -euo pipefail

host="${KAFKA_ADVERTISED_HOST:-kafka}"
port="${KAFKA_PORT:-9092}"
controller_port="$((port + 1))"
data=/var/lib/kafka/data
conf=/etc/kafka/server.properties
log4j=/etc/kafka/log4j2.yaml
classpath="/opt/kafka/libs/*"

say() { echo "whisk-kafka: $*" >&2; }

rm -f /tmp/whisk-kafka-ready  # the health check probes metadata again after a restart

cat >"${conf}" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller_port}
listeners=PLAINTEXT://0.0.0.0:${port},CONTROLLER://127.0.0.1:${controller_port}
advertised.listeners=PLAINTEXT://${host}:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${data}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
message.max.bytes=1100000
replica.fetch.max.bytes=1100000
log.retention.check.interval.ms=60000
log.segment.bytes=16777216
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
CONF

cat >"${log4j}" <<'CONF'
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: state.change.logger
        level: WARN
CONF

if [[ ! -f "${data}/meta.properties" ]]; then
    say "formatting KRaft storage in ${data}"
    cluster_id="$(java -Xmx128m -cp "${classpath}" -Dlog4j2.configurationFile="${log4j}" \
        kafka.tools.StorageTool random-uuid | tail -n 1)"
    java -Xmx128m -cp "${classpath}" -Dlog4j2.configurationFile="${log4j}" \
        kafka.tools.StorageTool format -t "${cluster_id}" -c "${conf}"
fi

say "starting the broker, advertised as ${host}:${port}"
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m} -XX:+UseG1GC -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="${log4j}" -Dkafka.logs.dir=/tmp \
    -cp "${classpath}" kafka.Kafka "${conf}"
