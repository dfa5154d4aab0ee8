#!/usr/bin/env python3
"""A foreign Kafka peer for the interop suite: the same CLI over confluent-kafka (librdkafka) and kafka-python.

  peer.py produce --client confluent --topic T --count 5 --codec lz4 --key binary --headers null,repeated
  peer.py consume --client kafka-python --group G --topics T1,T2 --max-seconds 20 --stop-after 10

Prints one JSON line per record written (produce) or read (consume), and per assignment change, on stdout; errors
go to stderr and a non-zero exit. Run it with the venv from scripts/python-env.sh.
"""
import argparse
import faulthandler
import json
import os
import signal
import sys
import time
from pathlib import Path

SCHEMA = Path(__file__).resolve().parents[2] / 'schemas' / 'campaign.created.json'
TEMPLATE = '{"campaign_id": "{id}", "name": "Interop campaign {i}", "created_at": "2024-01-15T10:00:00Z"}'
CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
HEADER_ODDITIES = ['null', 'repeated', 'binary']
VALUE_MODES = ['valid', 'invalid', 'notjson', 'tombstone', 'empty', 'large']


def emit(kind, **fields):
    print(json.dumps({'type': kind, **fields}), flush=True)


def fail(message):
    print(f'peer: {message}', file=sys.stderr, flush=True)
    sys.exit(2)


def text(value):
    """bytes -> {'utf8': str | None, 'hex': str} so binary survives JSON; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode()
    try:
        utf8 = value.decode('utf-8')
    except UnicodeDecodeError:
        utf8 = None
    return {'utf8': utf8, 'hex': value.hex()}


# ---------------------------------------------------------------------------------------------------- produce


def record_key(mode, i):
    if mode == 'str':
        return f'k-{i}'.encode()
    if mode == 'binary':
        return bytes([0xFF, 0x00, 0xFE, i % 256])  # not UTF-8
    return None


def record_headers(oddities, client):
    headers = [('source', client.encode())]
    if 'null' in oddities:
        headers.append(('x-null', None))
    if 'repeated' in oddities:
        headers += [('x-repeated', b'first'), ('x-repeated', b'second')]
    if 'binary' in oddities:
        headers.append(('x-binary', bytes([0x00, 0xFF, 0xFE, 0x80])))
    return headers


def large_value(i, size):
    """A schema-invalid event of exactly `size` bytes that compresses well (words, like real text)."""
    head, tail = f'{{"campaign_id": "big-{i}", "padding": "'.encode(), b'"}'
    words = b'campaign asset budget audience review approved draft '
    body = (words * (size // len(words) + 1))[: max(0, size - len(head) - len(tail))]
    return head + body + tail


def template_event(args, i):
    return json.loads(args.template.replace('{id}', f'{args.id_prefix}-{i}').replace('{i}', str(i)))


def record_value(args, i, serialize):
    if args.value == 'valid':
        return serialize(template_event(args, i)) if serialize else json.dumps(template_event(args, i)).encode()
    value = odd_value(args, i)
    if serialize and value:
        # confluent's serializer refuses what its schema rejects; frame the bytes by hand with the id it registered,
        # as a producer with validation off (or another serializer) would.
        return serialize(template_event(args, i))[:5] + value
    return value


def odd_value(args, i):
    mode = args.value
    if mode == 'invalid':
        return json.dumps({'campaign_id': '', 'name': 42, 'unexpected': True}).encode()
    if mode == 'notjson':
        return b'\xffnot json {'
    if mode == 'tombstone':
        return None
    if mode == 'empty':
        return b''
    return large_value(i, args.size)


def registry_client(client_class, args):
    # A request timeout (seconds): confluent-kafka's default is none, and a registry request that never got an answer
    # hung the peer for good (seen once in CI with the JSONDeserializer). With one, httpx raises and the client retries.
    return client_class({'url': args.registry_url, 'timeout': 10})


def registry_serializer(args):
    from confluent_kafka.schema_registry import SchemaRegistryClient, topic_subject_name_strategy
    from confluent_kafka.schema_registry.json_schema import JSONSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    if not args.registry_url:
        fail('--framing registry needs --registry-url (e.g. http://127.0.0.1:8081/apis/ccompat/v7)')
    # TopicNameStrategy, named explicitly: confluent-kafka 2.16's default first asks the registry's `associations`
    # API (Apicurio answers 404), and that path hung intermittently (no further request, no output for 60 s).
    serializer = JSONSerializer(
        Path(args.schema_file).read_text(),
        registry_client(SchemaRegistryClient, args),
        conf={'subject.name.strategy': topic_subject_name_strategy},
    )
    context = SerializationContext(args.topic, MessageField.VALUE)  # subject <topic>-value
    return lambda event: serializer(event, context)


def produce_confluent(args, records):
    from confluent_kafka import KafkaException, Producer

    config = {
        'bootstrap.servers': args.bootstrap,
        'acks': 'all',
        'enable.idempotence': True,
        'compression.type': args.codec,
        'linger.ms': 5,
        'message.max.bytes': max(1_000_000, args.size + 100_000),  # checked before compression
    }
    if args.transactional:
        config['transactional.id'] = f'interop-{args.id_prefix}-{os.getpid()}'
    producer = Producer(config)
    failures = []

    def delivered(outcome):
        def report(err, msg):
            if err is not None:
                failures.append(f'{msg.topic()} partition {msg.partition()}: {err}')
            else:
                emit('produced', topic=msg.topic(), partition=msg.partition(), offset=msg.offset(), key=text(msg.key()), txn=outcome)
        return report

    def send_all(batch, outcome):
        for key, value, headers in batch:
            kwargs = {'partition': args.partition} if args.partition is not None else {}
            producer.produce(args.topic, value=value, key=key, headers=headers, on_delivery=delivered(outcome), **kwargs)
            producer.poll(0)
        if producer.flush(30) > 0:
            fail(f'{args.topic}: records still undelivered after 30 s')

    try:
        if not args.transactional:
            send_all(records, None)
        else:
            producer.init_transactions(30)
            for n, outcome in enumerate(args.transactional.split(',')):
                producer.begin_transaction()
                send_all(records[n * args.count:(n + 1) * args.count], outcome)  # written to the log, not yet visible
                if outcome == 'commit':
                    producer.commit_transaction(30)
                else:
                    producer.abort_transaction(30)
    except KafkaException as error:
        fail(f'{args.topic}: {error}')
    if failures:
        fail('; '.join(failures))


def produce_kafka_python(args, records):
    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=args.bootstrap,
        acks='all',
        compression_type=None if args.codec == 'none' else args.codec,
        linger_ms=5,
        max_request_size=max(1_048_576, args.size + 100_000),  # checked before compression
        **({'transactional_id': f'interop-{args.id_prefix}-{os.getpid()}'} if args.transactional else {}),
    )

    def send_all(batch, outcome):
        futures = [producer.send(args.topic, value=v, key=k, headers=h, partition=args.partition) for k, v, h in batch]
        producer.flush(30)
        for (key, _, _), future in zip(batch, futures):
            meta = future.get(timeout=30)
            emit('produced', topic=meta.topic, partition=meta.partition, offset=meta.offset, key=text(key), txn=outcome)

    if not args.transactional:
        send_all(records, None)
    else:
        producer.init_transactions()
        for n, outcome in enumerate(args.transactional.split(',')):
            producer.begin_transaction()
            send_all(records[n * args.count:(n + 1) * args.count], outcome)  # in the log, not yet visible
            producer.commit_transaction() if outcome == 'commit' else producer.abort_transaction()
    producer.close(5)


def produce(args):
    serialize = registry_serializer(args) if args.framing == 'registry' else None
    batches = len(args.transactional.split(',')) if args.transactional else 1
    oddities = [h for h in args.headers.split(',') if h]
    for h in oddities:
        if h not in HEADER_ODDITIES:
            fail(f'--headers {h}: expected a comma list of {", ".join(HEADER_ODDITIES)}')
    records = [
        (record_key(args.key, i), record_value(args, i, serialize), record_headers(oddities, args.client))
        for i in range(args.count * batches)
    ]
    (produce_confluent if args.client == 'confluent' else produce_kafka_python)(args, records)


# ---------------------------------------------------------------------------------------------------- consume


def decoded_value(raw, deserialize):
    """Plain JSON or the registry wire format (magic byte 0 + 4-byte schema id); never raises."""
    if raw is None:
        return {'framing': 'tombstone', 'value': None}
    try:
        if raw[:1] == b'\x00' and len(raw) >= 5:
            value = deserialize(raw) if deserialize else json.loads(raw[5:])
            return {'framing': 'registry', 'schema_id': int.from_bytes(raw[1:5], 'big'), 'value': value}
        return {'framing': 'plain', 'value': json.loads(raw)}
    except Exception as error:  # an undecodable record is reported, not fatal: the suite counts it
        return {'framing': 'undecodable', 'value': None, 'error': str(error)}


def record_line(topic, partition, offset, key, headers, raw, deserialize):
    return dict(
        topic=topic,
        partition=partition,
        offset=offset,
        key=text(key),
        headers=[{'key': k, 'value': text(v)} for k, v in (headers or [])],
        **decoded_value(raw, deserialize),
    )


def consume_confluent(args, stopping):
    from confluent_kafka import Consumer, KafkaError, TopicPartition  # noqa: F401 (TopicPartition: callbacks)

    config = {
        'bootstrap.servers': args.bootstrap,
        'group.id': args.group,
        'enable.auto.commit': False,  # the Python guide's setting: commit what was handled
        'auto.offset.reset': 'earliest',
        'isolation.level': 'read_committed',
        'session.timeout.ms': 10_000,
        'error_cb': lambda err: emit('error', error=str(err), code=err.name()),
    }
    if args.strategy != 'default':
        config['partition.assignment.strategy'] = args.strategy
    deserialize = None
    if args.deserializer == 'registry':
        from confluent_kafka.schema_registry import SchemaRegistryClient
        from confluent_kafka.schema_registry.json_schema import JSONDeserializer
        from confluent_kafka.serialization import MessageField, SerializationContext

        deserializer = JSONDeserializer(None, schema_registry_client=registry_client(SchemaRegistryClient, args))
        deserialize = lambda raw: deserializer(raw, SerializationContext(args.topics.split(',')[0], MessageField.VALUE))  # noqa: E731
    consumer = Consumer(config)
    assigned = lambda c, parts: emit('assigned', partitions=[[p.topic, p.partition] for p in parts])  # noqa: E731
    revoked = lambda c, parts: emit('revoked', partitions=[[p.topic, p.partition] for p in parts])  # noqa: E731
    consumer.subscribe(args.topics.split(','), on_assign=assigned, on_revoke=revoked)
    count, deadline = 0, time.monotonic() + args.max_seconds
    try:
        while not stopping() and time.monotonic() < deadline and count < args.stop_after:
            msg = consumer.poll(0.25)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() != KafkaError._PARTITION_EOF:
                    emit('error', error=str(msg.error()), code=msg.error().name())
                continue
            emit('record', **record_line(msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.headers(), msg.value(), deserialize))
            consumer.commit(message=msg, asynchronous=False)
            count += 1
    finally:
        consumer.close()  # commits nothing more (auto-commit off), leaves the group at once
    emit('stopped', records=count)


def consume_kafka_python(args, stopping):
    from kafka import ConsumerRebalanceListener, KafkaConsumer
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from kafka.structs import OffsetAndMetadata

    class Listener(ConsumerRebalanceListener):
        def on_partitions_assigned(self, assigned):
            emit('assigned', partitions=sorted([tp.topic, tp.partition] for tp in assigned))

        def on_partitions_revoked(self, revoked):
            emit('revoked', partitions=sorted([tp.topic, tp.partition] for tp in revoked))

    strategies = {'range': (RangePartitionAssignor,), 'roundrobin': (RoundRobinPartitionAssignor,)}
    options = {} if args.strategy == 'default' else {'partition_assignment_strategy': strategies[args.strategy]}
    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        enable_auto_commit=False,
        auto_offset_reset='earliest',
        isolation_level='read_committed',
        session_timeout_ms=10_000,
        **options,
    )
    consumer.subscribe(args.topics.split(','), listener=Listener())
    count, deadline = 0, time.monotonic() + args.max_seconds
    try:
        while not stopping() and time.monotonic() < deadline and count < args.stop_after:
            for tp, messages in consumer.poll(timeout_ms=250, max_records=args.stop_after - count).items():
                for m in messages:
                    emit('record', **record_line(m.topic, m.partition, m.offset, m.key, m.headers, m.value, None))
                    consumer.commit({tp: OffsetAndMetadata(m.offset + 1, '', -1)})
                    count += 1
    finally:
        consumer.close(autocommit=False)
    emit('stopped', records=count)


def consume(args):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))  # finish the record in hand, leave the group
    (consume_confluent if args.client == 'confluent' else consume_kafka_python)(args, lambda: bool(stop))


# ---------------------------------------------------------------------------------------------------- CLI


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest='command', required=True)
    for name in ['produce', 'consume']:
        sub = commands.add_parser(name)
        sub.add_argument('--client', choices=['confluent', 'kafka-python'], required=True)
        sub.add_argument('--bootstrap', default=os.environ.get('KAFKA_BROKER', '127.0.0.1:29092'))
        sub.add_argument('--registry-url', default=os.environ.get('SCHEMA_REGISTRY_URL'))
    p = commands.choices['produce']
    p.add_argument('--topic', required=True, help='physical topic (prefix included)')
    p.add_argument('--count', type=int, default=1, help='records (per transaction with --transactional)')
    p.add_argument('--codec', choices=CODECS, default='none')
    p.add_argument('--key', choices=['str', 'binary', 'none'], default='str')
    p.add_argument('--headers', default='', help=f'comma list of oddities: {", ".join(HEADER_ODDITIES)}')
    p.add_argument('--value', choices=VALUE_MODES, default='valid')
    p.add_argument('--size', type=int, default=0, help='bytes of each --value large record')
    p.add_argument('--template', default=TEMPLATE, help='valid event JSON; {id} and {i} are replaced')
    p.add_argument('--id-prefix', default='interop', help='{id} is <id-prefix>-<i>')
    p.add_argument('--partition', type=int, default=None)
    p.add_argument('--transactional', default='', help='comma list of commit|abort: one transaction of --count records each')
    p.add_argument('--framing', choices=['plain', 'registry'], default='plain')
    p.add_argument('--schema-file', default=str(SCHEMA))
    c = commands.choices['consume']
    c.add_argument('--group', required=True)
    c.add_argument('--topics', required=True, help='comma list of physical topics')
    c.add_argument('--max-seconds', type=float, default=30)
    c.add_argument('--stop-after', type=int, default=sys.maxsize)
    c.add_argument('--strategy', choices=['default', 'range', 'roundrobin'], default='default')
    c.add_argument('--deserializer', choices=['plain', 'registry'], default='plain')
    args = parser.parse_args()
    # Watchdog: a peer still running well past its own deadline is hung somewhere (a blocking call without a timeout).
    # Dump every thread's stack to stderr, which the suite reports, and exit, instead of hanging the test to its timeout.
    faulthandler.dump_traceback_later(args.max_seconds + 20 if args.command == 'consume' else 90, exit=True)
    if args.command == 'produce':
        for outcome in filter(None, args.transactional.split(',')):
            if outcome not in ('commit', 'abort'):
                fail(f'--transactional {outcome}: expected commit or abort')
        produce(args)
    else:
        consume(args)


if __name__ == '__main__':
    main()
