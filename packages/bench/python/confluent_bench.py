"""confluent-kafka (librdkafka) side of the benchmark: one pattern per process, started by packages/bench/src/compare.ts
with the venv of scripts/python-env.sh. Prints one JSON line {"msgs": n, "seconds": s} on stdout.

  python confluent_bench.py '{"pattern": "conc1000", "brokers": ["127.0.0.1:39592"], "prefix": "b-1.", "n": 20000, "warmup": 2000}'

Events are the same ~1 KiB campaign.created.json documents as kafka-core/testing's benchmarkEvent, with the same seven
CloudEvents headers topiq writes; producer settings are the Python guide's (acks=all, idempotence, snappy) with
librdkafka's defaults otherwise (linger.ms 5).
"""
import json
import random
import sys
import time
import uuid
from datetime import datetime, timezone

from confluent_kafka import Consumer, Producer

TOPIC = "campaign.created.json"
WORDS = "campaign asset budget audience email social video banner launch summer spring review approved draft scheduled channel region market creative variant".split(" ")


def text(seed: int, size: int) -> str:
    # kafka-core/testing.ts's generator (pseudo-random words, so snappy compresses it like text); JS does the first
    # multiplication in doubles, so the words differ, not their size or mix.
    out = ""
    x = seed * 2654435761 + 1
    while len(out) < size:
        x = (x * 1103515245 + 12345) % 2**32
        out += f"{WORDS[x % len(WORDS)]}{(x >> 8) % 1000} "
    return out[:size]


def event(i: int) -> dict:
    return {
        "campaign_id": f"cmp-{i % 30}",
        "name": f"Benchmark campaign {i}",
        "created_at": f"2024-01-15T10:00:{i % 60:02d}.000Z",
        "created_by": f"user-{i % 97}",
        "status": "active",
        "budget": {"amount": 1000 + i, "currency": "EUR"},
        "metadata": {"channel": "email", "sequence": i, "note": text(i, 760)},
    }


def headers() -> list:
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid.uuid4()).encode()),
        ("ce_source", b"bench"),
        ("ce_type", TOPIC.encode()),
        ("ce_time", now.encode()),
        ("content-type", b"application/json"),
        ("ce_dataschema", b"schemas/campaign.created.json#bench"),
    ]


def produce(spec: dict) -> dict:
    topic = spec["prefix"] + TOPIC
    producer = Producer({
        "bootstrap.servers": ",".join(spec["brokers"]),
        "acks": "all",
        "enable.idempotence": True,
        "compression.type": "snappy",
        "client.id": "bench-confluent",
    })
    failures = []
    outstanding = [0]

    def delivered(err, _msg):
        outstanding[0] -= 1
        if err is not None:
            failures.append(str(err))

    def send(e: dict) -> None:
        while True:
            try:
                producer.produce(topic, key=e["campaign_id"], value=json.dumps(e, separators=(",", ":")), headers=headers(), on_delivery=delivered)
                outstanding[0] += 1
                return
            except BufferError:
                producer.poll(0.01)

    def run(events: list) -> None:
        count = len(events)
        pattern = spec["pattern"]
        if pattern == "seq":  # the guide's send_message: produce, then wait for the delivery report
            for e in events:
                send(e)
                producer.flush()
        elif pattern == "batch100":  # send_batch: produce 100, flush
            for i in range(0, count, 100):
                for e in events[i:i + 100]:
                    send(e)
                producer.flush()
        else:  # 1000 callers in flight: at most 1000 outstanding delivery reports
            for e in events:
                while outstanding[0] >= 1000:
                    producer.poll(0.001)
                send(e)
                producer.poll(0)
            producer.flush()

    run([event(1_000_000 + i) for i in range(spec["warmup"])])
    events = [event(i) for i in range(spec["n"])]  # made before the clock starts, as in the Node workers
    started = time.perf_counter()
    run(events)
    seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} deliveries failed: {failures[:3]}")
    return {"msgs": spec["n"], "seconds": seconds}


def consume(spec: dict) -> dict:
    consumer = Consumer({
        "bootstrap.servers": ",".join(spec["brokers"]),
        "group.id": f"bench-confluent-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": True,
    })
    consumer.subscribe([spec["prefix"] + TOPIC])
    n = spec["n"]
    seen = 0
    first = 0.0
    sink = 0
    while seen < n:
        for msg in consumer.consume(num_messages=1000, timeout=1.0):
            if msg.error() is not None:
                continue
            if seen == 0:
                first = time.perf_counter()
            sink += len(json.loads(msg.value())["name"])
            seen += 1
    seconds = time.perf_counter() - first
    consumer.close()
    return {"msgs": n, "seconds": seconds}


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    result = consume(spec) if spec["pattern"] == "consume" else produce(spec)
    print(json.dumps(result), flush=True)
