#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, no ZooKeeper) for tests and CI.
#
#   scripts/kafka.sh [start]   fetch jars (once, cached), format storage, start, wait; prints
#                              the bootstrap address on the last line
#   scripts/kafka.sh fetch     only fetch the jars into the cache
#   scripts/kafka.sh stop      stop the broker started by this script
#   scripts/kafka.sh status    exit 0 when the broker answers
#
# Idempotent: `start` on a running broker only checks it and prints the address.
#
# Environment:
#   WHISK_CACHE_DIR     cache root (default ~/.cache/whisk); jars go to .../kafka/libs-<version>-r<n>
#   WHISK_KAFKA_PORT    client port (default 59092); the controller listens on WHISK_KAFKA_PORT+1
#   WHISK_KAFKA_DIR     state dir: logs, pid, config (default /tmp/whisk-kafka)
#   WHISK_KAFKA_VERSION Apache Kafka version (default 4.4.0)
set -euo pipefail

KAFKA_VERSION="${WHISK_KAFKA_VERSION:-4.4.0}"
LOG4J_VERSION="2.25.5"
SLF4J_VERSION="2.0.17"
CACHE_ROOT="${WHISK_CACHE_DIR:-$HOME/.cache/whisk}/kafka"
LIBS_REV=2  # bump when the dependency list below changes
LIBS="$CACHE_ROOT/libs-$KAFKA_VERSION-r$LIBS_REV"
PORT="${WHISK_KAFKA_PORT:-59092}"
CONTROLLER_PORT="$((PORT + 1))"
STATE="${WHISK_KAFKA_DIR:-/tmp/whisk-kafka}"
DATA="$STATE/data"
CONF="$STATE/server.properties"
LOG4J_CONF="$STATE/log4j2.yaml"
BROKER_LOG="$STATE/broker.log"
PIDFILE="$STATE/broker.pid"
BOOTSTRAP="127.0.0.1:$PORT"
HEAP="${WHISK_KAFKA_HEAP:--Xmx512m -Xms128m}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { echo "kafka.sh: $*" >&2; }

die() {
    say "ERROR: $*"
    if [[ -f "$BROKER_LOG" ]]; then
        say "---- tail of $BROKER_LOG ----"
        tail -n 60 "$BROKER_LOG" >&2 || true
    fi
    exit 1
}

# Java 17+ runs the broker and Maven fetches it; install them from Debian when missing.
need_tools() {
    local missing=()
    command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null || missing+=(maven)
    [[ ${#missing[@]} -eq 0 ]] && return
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
        say "installing ${missing[*]} with apt-get"
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
            || die "apt-get could not install ${missing[*]}"
    else
        die "missing ${missing[*]} (Kafka $KAFKA_VERSION needs Java 17+ and Maven)"
    fi
}

fetch() {
    need_tools
    if [[ -f "$LIBS/.complete" ]]; then
        say "jars for Kafka $KAFKA_VERSION cached in $LIBS"
        return
    fi
    local build="$CACHE_ROOT/pom-$KAFKA_VERSION"
    mkdir -p "$build"
    cat >"$build/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>whisk.local</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-server</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-metadata</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-raft</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-storage</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version>
      <exclusions><exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion></exclusions>
    </dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-1.2-api</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
    say "fetching Kafka $KAFKA_VERSION broker jars from Maven Central (first run only) ..."
    local tmp="$LIBS.tmp"
    rm -rf "$tmp"
    if ! (cd "$build" && mvn -B -q dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" >"$build/mvn.log" 2>&1); then
        tail -n 40 "$build/mvn.log" >&2 || true
        die "maven could not fetch Kafka $KAFKA_VERSION (see $build/mvn.log)"
    fi
    touch "$tmp/.complete"
    rm -rf "$LIBS"
    mv "$tmp" "$LIBS"
    say "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars into $LIBS"
}

broker_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    # A stale pid file may name a process that is not our broker: never touch that one.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $CONF" || return 1
    echo "$pid"
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

# A real metadata round trip: list topics through the broker's own admin tool.
metadata_ok() {
    java -Xmx128m -cp "$LIBS/*" -Dlog4j2.configurationFile="$LOG4J_CONF" \
        org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list \
        >/dev/null 2>"$STATE/admin.log"
}

write_config() {
    mkdir -p "$STATE" "$DATA"
    cat >"$CONF" <<EOF
# Generated by scripts/kafka.sh: single-node KRaft broker for Whisk tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
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
EOF
    cat >"$LOG4J_CONF" <<'EOF'
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
      - name: org.apache.kafka.controller
        level: INFO
      - name: state.change.logger
        level: WARN
EOF
}

format_storage() {
    if [[ -f "$DATA/meta.properties" ]]; then
        say "storage already formatted in $DATA"
        return
    fi
    say "formatting KRaft storage in $DATA"
    local cluster_id
    cluster_id="$(java -cp "$LIBS/*" -Dlog4j2.configurationFile="$LOG4J_CONF" \
        kafka.tools.StorageTool random-uuid 2>>"$BROKER_LOG" | tail -n 1)"
    [[ -n "$cluster_id" ]] || die "could not generate a cluster id"
    java -cp "$LIBS/*" -Dlog4j2.configurationFile="$LOG4J_CONF" \
        kafka.tools.StorageTool format -t "$cluster_id" -c "$CONF" \
        >>"$BROKER_LOG" 2>&1 || die "formatting storage failed"
}

start() {
    fetch
    mkdir -p "$STATE"
    if broker_pid >/dev/null; then
        say "broker already running (pid $(broker_pid))"
        if metadata_ok; then
            echo "$BOOTSTRAP"
            return
        fi
        say "running broker does not answer metadata requests; restarting it"
        stop
    elif port_open; then
        die "port $PORT is taken by another process (not a broker started by this script)"
    fi
    [[ -f "$BROKER_LOG" ]] && mv -f "$BROKER_LOG" "$BROKER_LOG.1"
    write_config
    format_storage
    say "starting broker on $BOOTSTRAP (log: $BROKER_LOG)"
    # setsid: the broker outlives this script and its caller's process group.
    # shellcheck disable=SC2086
    setsid java $HEAP -XX:+UseG1GC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$LOG4J_CONF" -Dkafka.logs.dir="$STATE" \
        -cp "$LIBS/*" kafka.Kafka "$CONF" >>"$BROKER_LOG" 2>&1 </dev/null 9>&- &
    echo $! >"$PIDFILE"
    say "waiting for the broker (pid $(cat "$PIDFILE")) to answer ..."
    local i
    for i in $(seq 1 180); do
        broker_pid >/dev/null || die "broker exited during start-up"
        if port_open && metadata_ok; then
            say "broker is up after ~${i}s"
            echo "$BOOTSTRAP"
            return
        fi
        sleep 1
    done
    die "broker did not answer within 180s"
}

stop() {
    local pid
    if pid="$(broker_pid)"; then
        say "stopping broker (pid $pid)"
        kill "$pid" 2>/dev/null || true
        local i
        for i in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "broker did not stop in 60s; killing it"
            kill -9 "$pid" 2>/dev/null || true
        fi
    else
        say "no broker running"
    fi
    rm -f "$PIDFILE"
}

status() {
    if broker_pid >/dev/null && metadata_ok; then
        say "broker running (pid $(broker_pid)) on $BOOTSTRAP"
        echo "$BOOTSTRAP"
    else
        say "broker not running"
        return 1
    fi
}

cd "$REPO_ROOT"
mkdir -p "$STATE"
# One start/stop at a time per state dir (parallel test sessions share the broker).
exec 9>"$STATE.lock"
flock 9
case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    fetch) fetch ;;
    status) status ;;
    *) echo "usage: $0 [start|stop|fetch|status]" >&2; exit 2 ;;
esac
