/*
 * Producer — a Java producer peer for interop tests: the real Apache Kafka Java client (KafkaProducer) writing
 * whatever it may legally write to a topic a topiq consumer reads. The `produce` options of interop/python/peer.py,
 * with the same JSON lines, so the foreign → topiq cases run unchanged for a third client.
 *
 * Run (Java 11+ single-file source launcher; the broker's own jars carry kafka-clients, slf4j and the codecs):
 *
 *   java -cp '<kafka libs>/*' interop/java/Producer.java --topic T [options]
 *
 * <kafka libs> is runtimePaths(stackConfig()).kafkaLibDir from @topiq/local-stack
 * (~/.cache/topiq/stack-cache/kafka_2.13-<version>/libs); the java binary is findJava() from the same package.
 *
 * Options (as peer.py produce):
 *   --topic T               physical topic, prefix included (required)
 *   --bootstrap H:P         default $KAFKA_BROKER or 127.0.0.1:29092
 *   --count N               records (per transaction with --transactional; default 1)
 *   --codec C               compression.type: none, gzip, snappy, lz4, zstd (default none)
 *   --key K                 str (k-<i>), binary (ff 00 fe <i>, not UTF-8) or none (default str)
 *   --headers H1,H2         oddities besides the "source: java" header: null (a null value), repeated
 *                           (x-repeated twice), binary (00 ff fe 80)
 *   --value V               valid (the --template event), invalid (schema-invalid JSON), notjson, tombstone (null),
 *                           empty, large (a schema-invalid event of exactly --size bytes; default valid)
 *   --size N                bytes of each --value large record
 *   --template JSON         the valid event; {id} becomes <id-prefix>-<i>, {i} becomes i
 *   --id-prefix P           default interop
 *   --partition N           write every record to partition N (default: the partitioner's choice)
 *   --transactional O1,O2   commit|abort, one transaction of --count records each, with a transactional.id
 *   --framing F             plain (default) or registry: registers --schema-file under <topic>-value at --registry-url
 *                           (ccompat API) and frames each value by hand (magic byte 0, 4-byte schema id, the bytes),
 *                           as a serializer would; odd values are framed the same way
 *   --registry-url URL      default $SCHEMA_REGISTRY_URL
 *   --schema-file PATH      default schemas/campaign.created.json
 *
 * Output: one JSON object per line on stdout, after the broker acknowledged each record (for an aborted transaction:
 * written to the log, then aborted):
 *   {"type":"produced","topic":…,"partition":0,"offset":12,"key":{"utf8":…,"hex":…}|null,"txn":"commit"|"abort"|null}
 * Errors go to stderr. Exit code 0 when every record was written, 1 on a Kafka or registry error, 2 for bad arguments.
 */

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class Producer {
    private static final String TEMPLATE = "{\"campaign_id\": \"{id}\", \"name\": \"Interop campaign {i}\", \"created_at\": \"2024-01-15T10:00:00Z\"}";
    private static final List<String> CODECS = List.of("none", "gzip", "snappy", "lz4", "zstd");
    private static final List<String> KEYS = List.of("str", "binary", "none");
    private static final List<String> ODDITIES = List.of("null", "repeated", "binary");
    private static final List<String> VALUES = List.of("valid", "invalid", "notjson", "tombstone", "empty", "large");

    private static Map<String, String> args;

    public static void main(String[] argv) throws Exception {
        args = parse(argv);
        String topic = required("topic");
        int count = Integer.parseInt(opt("count", "1"));
        int size = Integer.parseInt(opt("size", "0"));
        String codec = oneOf("codec", "none", CODECS);
        oneOf("key", "str", KEYS);
        oneOf("value", "valid", VALUES);
        for (String h : opt("headers", "").split(",")) if (!h.isEmpty() && !ODDITIES.contains(h)) usage("--headers " + h + ": expected a comma list of " + ODDITIES);
        List<String> outcomes = new ArrayList<>();
        for (String o : opt("transactional", "").split(",")) {
            if (o.isEmpty()) continue;
            if (!o.equals("commit") && !o.equals("abort")) usage("--transactional " + o + ": expected commit or abort");
            outcomes.add(o);
        }
        Integer partition = args.containsKey("partition") ? Integer.valueOf(args.get("partition")) : null;
        byte[] frame = switch (oneOf("framing", "plain", List.of("plain", "registry"))) {
            case "registry" -> registryFrame(topic);
            default -> null;
        };

        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, opt("bootstrap", System.getenv().getOrDefault("KAFKA_BROKER", "127.0.0.1:29092")));
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "topiq-interop-java-producer");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(Math.max(1_048_576, size + 100_000))); // checked before compression
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        if (!outcomes.isEmpty()) props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "interop-" + opt("id-prefix", "interop") + "-" + ProcessHandle.current().pid());

        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            if (outcomes.isEmpty()) {
                sendAll(producer, topic, partition, 0, count, null, frame);
            } else {
                producer.initTransactions();
                for (int n = 0; n < outcomes.size(); n++) {
                    producer.beginTransaction();
                    sendAll(producer, topic, partition, n * count, count, outcomes.get(n), frame); // in the log, not yet visible
                    if (outcomes.get(n).equals("commit")) producer.commitTransaction();
                    else producer.abortTransaction();
                }
            }
        } catch (Exception e) {
            System.err.println("Producer: " + topic + ": " + e);
            System.exit(1);
        }
        System.exit(0);
    }

    /** Sends records first..first+count-1, waits for every acknowledgement, prints one line per record. */
    private static void sendAll(KafkaProducer<byte[], byte[]> producer, String topic, Integer partition, int first, int count, String txn, byte[] frame) throws Exception {
        List<byte[]> keys = new ArrayList<>();
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            byte[] key = key(i);
            keys.add(key);
            acks.add(producer.send(new ProducerRecord<>(topic, partition, key, value(i, frame), headers())));
        }
        producer.flush();
        for (int n = 0; n < count; n++) {
            RecordMetadata meta = acks.get(n).get();
            System.out.println("{\"type\":\"produced\",\"topic\":" + str(meta.topic()) + ",\"partition\":" + meta.partition() + ",\"offset\":" + meta.offset()
                + ",\"key\":" + bytes(keys.get(n)) + ",\"txn\":" + str(txn) + "}");
        }
        System.out.flush();
    }

    // --- records (as peer.py builds them) -----------------------------------------------------------------------

    private static byte[] key(int i) {
        return switch (opt("key", "str")) {
            case "str" -> ("k-" + i).getBytes(StandardCharsets.UTF_8);
            case "binary" -> new byte[] {(byte) 0xFF, 0x00, (byte) 0xFE, (byte) (i % 256)};
            default -> null;
        };
    }

    /** "source: java", then the oddities; RecordHeaders takes a null value, a repeated name and any bytes. */
    private static RecordHeaders headers() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("source", utf8("java"));
        List<String> oddities = List.of(opt("headers", "").split(","));
        if (oddities.contains("null")) headers.add("x-null", null);
        if (oddities.contains("repeated")) headers.add("x-repeated", utf8("first")).add("x-repeated", utf8("second"));
        if (oddities.contains("binary")) headers.add("x-binary", new byte[] {0x00, (byte) 0xFF, (byte) 0xFE, (byte) 0x80});
        return headers;
    }

    private static byte[] value(int i, byte[] frame) {
        byte[] value = switch (opt("value", "valid")) {
            case "valid" -> utf8(opt("template", TEMPLATE).replace("{id}", opt("id-prefix", "interop") + "-" + i).replace("{i}", String.valueOf(i)));
            case "invalid" -> utf8("{\"campaign_id\": \"\", \"name\": 42, \"unexpected\": true}");
            case "notjson" -> concat(new byte[] {(byte) 0xFF}, utf8("not json {"));
            case "tombstone" -> null;
            case "empty" -> new byte[0];
            default -> large(i, Integer.parseInt(opt("size", "0")));
        };
        return frame == null || value == null || value.length == 0 ? value : concat(frame, value);
    }

    /** A schema-invalid event of exactly `size` bytes that compresses well (words, like real text). */
    private static byte[] large(int i, int size) {
        byte[] head = utf8("{\"campaign_id\": \"big-" + i + "\", \"padding\": \""), tail = utf8("\"}");
        byte[] words = utf8("campaign asset budget audience review approved draft ");
        byte[] out = new byte[Math.max(size, head.length + tail.length)];
        System.arraycopy(head, 0, out, 0, head.length);
        for (int n = head.length; n < out.length - tail.length; n++) out[n] = words[(n - head.length) % words.length];
        System.arraycopy(tail, 0, out, out.length - tail.length, tail.length);
        return out;
    }

    /** Registers --schema-file under <topic>-value (ccompat API) and returns the wire-format prefix: 0, schema id. */
    private static byte[] registryFrame(String topic) throws Exception {
        String url = opt("registry-url", System.getenv("SCHEMA_REGISTRY_URL"));
        if (url == null || url.isEmpty()) usage("--framing registry needs --registry-url (e.g. http://127.0.0.1:8081/apis/ccompat/v7)");
        String schema = Files.readString(Path.of(opt("schema-file", Path.of("schemas", "campaign.created.json").toString())));
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/subjects/" + topic + "-value/versions"))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"schemaType\":\"JSON\",\"schema\":" + str(schema) + "}"))
            .build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        Matcher id = Pattern.compile("\"id\"\\s*:\\s*(\\d+)").matcher(response.body());
        if (response.statusCode() != 200 || !id.find()) {
            System.err.println("Producer: registering " + topic + "-value: HTTP " + response.statusCode() + " " + response.body());
            System.exit(1);
        }
        return ByteBuffer.allocate(5).put((byte) 0).putInt(Integer.parseInt(id.group(1))).array();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return ByteBuffer.allocate(a.length + b.length).put(a).put(b).array();
    }

    // --- arguments ---------------------------------------------------------------------------------------------

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--")) usage("unexpected argument " + argv[i]);
            if (i + 1 >= argv.length) usage(argv[i] + " needs a value");
            out.put(argv[i].substring(2), argv[++i]);
        }
        return out;
    }

    private static String opt(String name, String fallback) {
        return args.getOrDefault(name, fallback);
    }

    private static String required(String name) {
        String v = args.get(name);
        if (v == null || v.isEmpty()) usage("--" + name + " is required");
        return v;
    }

    private static String oneOf(String name, String fallback, List<String> choices) {
        String v = opt(name, fallback);
        if (!choices.contains(v)) usage("--" + name + " " + v + ": expected one of " + choices);
        return v;
    }

    private static void usage(String problem) {
        System.err.println("Producer: " + problem + "\nusage: java -cp '<kafka libs>/*' Producer.java --topic T [--count N] [--codec none|gzip|snappy|lz4|zstd] "
            + "[--key str|binary|none] [--headers null,repeated,binary] [--value valid|invalid|notjson|tombstone|empty|large] [--size N] "
            + "[--template JSON] [--id-prefix P] [--partition N] [--transactional commit,abort] [--framing plain|registry] "
            + "[--registry-url URL] [--schema-file PATH] [--bootstrap H:P]");
        System.exit(2);
    }

    // --- JSON (no library on the classpath for it) ----------------------------------------------------------------

    private static String str(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return sb.append('"').toString();
    }

    /** Bytes as {"utf8": text or null when not valid UTF-8, "hex": …}, so binary survives; null stays null. */
    private static String bytes(byte[] b) {
        if (b == null) return "null";
        String utf8;
        try {
            utf8 = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            utf8 = null;
        }
        StringBuilder hex = new StringBuilder();
        for (byte x : b) hex.append(String.format("%02x", x));
        return "{\"utf8\":" + str(utf8) + ",\"hex\":" + str(hex.toString()) + "}";
    }
}
