/*
 * GroupMember — a Java consumer-group member for interop tests: the real Apache Kafka Java client
 * (KafkaConsumer, classic group protocol) joining a group that topiq (kafkajs) or Python members are in.
 *
 * Run (Java 11+ single-file source launcher; the broker's own jars carry kafka-clients and slf4j):
 *
 *   java -cp '<kafka libs>/*' interop/java/GroupMember.java --group G --topics T1,T2 [options]
 *
 * <kafka libs> is runtimePaths(stackConfig()).kafkaLibDir from @topiq/local-stack
 * (~/.cache/topiq/stack-cache/kafka_2.13-<version>/libs); the java binary is findJava() from the same package.
 *
 * Options:
 *   --bootstrap HOST:PORT   brokers (default: $KAFKA_BROKER, else 127.0.0.1:29092)
 *   --group ID              consumer group id (required)
 *   --topics T1,T2          physical topics to subscribe to, comma-separated (required)
 *   --name NAME             label printed in every line (default: java-<pid>); client.id is topiq-interop-NAME
 *   --strategy S            partition.assignment.strategy: default (Java's own default, [range, cooperative-sticky]),
 *                           range, roundrobin, cooperative-sticky, or a comma list of those, most preferred first
 *   --max-seconds N         exit after N seconds (default 60)
 *   --stop-after N          exit after handling N records (default: no limit)
 *   --handle-ms N           pretend each record takes N ms of work (default 0)
 *   --session-timeout-ms N  session.timeout.ms (default 10000)
 *   --ignore-stdin          do not watch stdin (by default EOF on stdin means: commit, leave the group, exit)
 *
 * Lifecycle: subscribes with auto-commit off and auto.offset.reset=earliest, polls, "handles" each record (prints
 * it), commits the handled offsets synchronously after each poll, and exits — committing, then leaving the group
 * (close()) — when stdin reaches EOF (the parent closed the pipe or died), on SIGTERM/SIGINT, after --max-seconds or
 * after --stop-after records. Keep stdin an open pipe while the member should run.
 *
 * Output: one JSON object per line on stdout (logs go to stderr), field "type" first:
 *   {"type":"started","member":…,"group":…,"topics":[…],"strategy":"…"}
 *   {"type":"assigned","member":…,"partitions":[["topic",0],…]}   after every rebalance (also when empty)
 *   {"type":"revoked","member":…,"partitions":[["topic",0],…]}
 *   {"type":"record","member":…,"topic":…,"partition":0,"offset":12,"key":{"utf8":…,"hex":…}|null,
 *    "value":{"utf8":…,"hex":…}|null,"headers":[{"key":…,"value":{"utf8":…,"hex":…}|null}]}
 *   {"type":"committed","member":…,"offsets":[["topic",0,13],…]}    next offsets to read, as committed
 *   {"type":"error","member":…,"error":"…"}                         then exit code 1
 *   {"type":"stopped","member":…,"records":N,"reason":"stdin-closed|signal|max-seconds|stop-after"}
 * Exit code 0 after "stopped", 1 after "error", 2 for bad arguments.
 */

import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class GroupMember {
    private static String member = "java-" + ProcessHandle.current().pid();
    private static final AtomicReference<String> stopReason = new AtomicReference<>();

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = parse(argv);
        String group = required(args, "group");
        List<String> topics = List.of(required(args, "topics").split(","));
        member = args.getOrDefault("name", member);
        String bootstrap = args.getOrDefault("bootstrap", System.getenv().getOrDefault("KAFKA_BROKER", "127.0.0.1:29092"));
        String strategy = args.getOrDefault("strategy", "default");
        long maxMs = (long) (Double.parseDouble(args.getOrDefault("max-seconds", "60")) * 1000);
        long stopAfter = Long.parseLong(args.getOrDefault("stop-after", String.valueOf(Long.MAX_VALUE)));
        long handleMs = Long.parseLong(args.getOrDefault("handle-ms", "0"));

        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "topiq-interop-" + member);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"); // commit only what was handled, as topiq does
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, args.getOrDefault("session-timeout-ms", "10000"));
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        if (!strategy.equals("default")) props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignorClasses(strategy));

        KafkaConsumer<byte[], byte[]> consumer;
        try {
            consumer = new KafkaConsumer<>(props);
        } catch (RuntimeException e) {
            emit("error", "error", str(String.valueOf(e)));
            System.exit(1);
            return;
        }
        Thread main = Thread.currentThread();
        if (!args.containsKey("ignore-stdin")) {
            Thread watcher = new Thread(() -> {
                try (InputStream in = System.in) {
                    byte[] buf = new byte[256];
                    while (in.read(buf) >= 0) { /* input is ignored; only EOF matters */ }
                } catch (Exception ignored) {
                    // an unreadable stdin counts as closed
                }
                stop(consumer, "stdin-closed");
            }, "stdin-watcher");
            watcher.setDaemon(true);
            watcher.start();
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop(consumer, "signal");
            try {
                main.join(20_000); // let the loop commit and leave the group before the JVM goes
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }));

        emit("started", "group", str(group), "topics", strList(topics), "strategy", str(strategy));
        long records = 0;
        long deadline = System.currentTimeMillis() + maxMs;
        int exitCode = 0;
        Map<TopicPartition, OffsetAndMetadata> handled = new HashMap<>();
        try {
            consumer.subscribe(topics, new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    emit("assigned", "partitions", partitionList(partitions));
                }

                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    // Offsets are committed after every poll, so nothing handled is pending here.
                    emit("revoked", "partitions", partitionList(partitions));
                }
            });
            while (stopReason.get() == null) {
                if (System.currentTimeMillis() >= deadline) {
                    stopReason.compareAndSet(null, "max-seconds");
                    break;
                }
                if (records >= stopAfter) {
                    stopReason.compareAndSet(null, "stop-after");
                    break;
                }
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(250));
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    if (records >= stopAfter) break;
                    if (handleMs > 0) Thread.sleep(handleMs);
                    emit("record", "topic", str(r.topic()), "partition", String.valueOf(r.partition()), "offset", String.valueOf(r.offset()),
                        "key", bytes(r.key()), "value", bytes(r.value()), "headers", headers(r.headers()));
                    handled.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    records++;
                }
                commit(consumer, handled);
                handled.clear();
            }
        } catch (WakeupException e) {
            // stop() woke a blocking poll or commit. A wakeup fires once, so this commit runs to its end.
            try {
                commit(consumer, handled);
            } catch (Exception ce) {
                emit("error", "error", str("final commit: " + ce));
                exitCode = 1;
            }
        } catch (Exception e) {
            emit("error", "error", str(String.valueOf(e)));
            exitCode = 1;
        } finally {
            try {
                consumer.close(); // leaves the group at once, so the others rebalance without waiting for the session timeout
            } catch (Exception e) {
                emit("error", "error", str("close: " + e));
                exitCode = 1;
            }
        }
        if (exitCode == 0) emit("stopped", "records", String.valueOf(records), "reason", str(String.valueOf(stopReason.get())));
        System.out.flush();
        // halt, not exit: exit would run the shutdown hook, which waits for this very thread.
        Runtime.getRuntime().halt(exitCode);
    }

    private static void commit(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (offsets.isEmpty()) return;
        consumer.commitSync(offsets);
        List<String> items = new ArrayList<>();
        offsets.forEach((tp, o) -> items.add("[" + str(tp.topic()) + "," + tp.partition() + "," + o.offset() + "]"));
        emit("committed", "offsets", "[" + String.join(",", items) + "]");
    }

    private static void stop(KafkaConsumer<byte[], byte[]> consumer, String reason) {
        if (stopReason.compareAndSet(null, reason)) consumer.wakeup();
    }

    private static String assignorClasses(String strategy) {
        List<String> classes = new ArrayList<>();
        for (String s : strategy.split(",")) {
            switch (s.trim()) {
                case "range": classes.add("org.apache.kafka.clients.consumer.RangeAssignor"); break;
                case "roundrobin": classes.add("org.apache.kafka.clients.consumer.RoundRobinAssignor"); break;
                case "cooperative-sticky": classes.add("org.apache.kafka.clients.consumer.CooperativeStickyAssignor"); break;
                case "sticky": classes.add("org.apache.kafka.clients.consumer.StickyAssignor"); break;
                default: usage("unknown --strategy " + s + " (default, range, roundrobin, cooperative-sticky, sticky)");
            }
        }
        return String.join(",", classes);
    }

    // --- arguments ---------------------------------------------------------------------------------------------

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) usage("unexpected argument " + a);
            String name = a.substring(2);
            if (name.equals("ignore-stdin")) out.put(name, "true");
            else if (i + 1 < argv.length) out.put(name, argv[++i]);
            else usage("--" + name + " needs a value");
        }
        return out;
    }

    private static String required(Map<String, String> args, String name) {
        String v = args.get(name);
        if (v == null || v.isEmpty()) usage("--" + name + " is required");
        return v;
    }

    private static void usage(String problem) {
        System.err.println("GroupMember: " + problem + "\nusage: java -cp '<kafka libs>/*' GroupMember.java --group G --topics T1,T2 "
            + "[--bootstrap H:P] [--name N] [--strategy default|range|roundrobin|cooperative-sticky] [--max-seconds N] "
            + "[--stop-after N] [--handle-ms N] [--session-timeout-ms N] [--ignore-stdin]");
        System.exit(2);
    }

    // --- JSON lines (no library on the classpath for it) ----------------------------------------------------------

    /** Prints {"type":type,"member":member, k1:v1, …}; values are already JSON. */
    private static synchronized void emit(String type, String... kv) {
        StringBuilder sb = new StringBuilder("{\"type\":").append(str(type)).append(",\"member\":").append(str(member));
        for (int i = 0; i + 1 < kv.length; i += 2) sb.append(',').append(str(kv[i])).append(':').append(kv[i + 1]);
        System.out.println(sb.append('}'));
        System.out.flush();
    }

    private static String str(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    private static String strList(List<String> items) {
        List<String> quoted = new ArrayList<>();
        for (String s : items) quoted.add(str(s));
        return "[" + String.join(",", quoted) + "]";
    }

    /** Bytes as {"utf8": text or null when not valid UTF-8, "hex": …}, so binary survives; null stays null. */
    private static String bytes(byte[] b) {
        if (b == null) return "null";
        String utf8;
        try {
            utf8 = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            utf8 = null;
        }
        StringBuilder hex = new StringBuilder();
        for (byte x : b) hex.append(String.format("%02x", x));
        return "{\"utf8\":" + str(utf8) + ",\"hex\":" + str(hex.toString()) + "}";
    }

    private static String headers(Iterable<Header> headers) {
        List<String> out = new ArrayList<>();
        for (Header h : headers) out.add("{\"key\":" + str(h.key()) + ",\"value\":" + bytes(h.value()) + "}");
        return "[" + String.join(",", out) + "]";
    }

    private static String partitionList(Collection<TopicPartition> partitions) {
        List<String> out = new ArrayList<>();
        partitions.stream()
            .sorted((a, b) -> a.topic().equals(b.topic()) ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic()))
            .forEach(tp -> out.add("[" + str(tp.topic()) + "," + tp.partition() + "]"));
        return "[" + String.join(",", out) + "]";
    }
}
