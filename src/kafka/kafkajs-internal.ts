/**
 * The one file that reaches below kafkajs's public API. kafkajs's admin client sends one metadata refresh
 * per new topic and two ListOffsets per topic (`fetchTopicOffsets`), and one FindCoordinator per group
 * (`fetchOffsets`); its consumer cannot be assigned partitions without joining a group. Its `Cluster` and
 * `Broker` classes can do all of that in one request per leader, so we use them directly. kafkajs 2.2.4 is
 * the last release (the project is unmaintained), so these internals do not move; the integration tests
 * exercise every call below against a real broker.
 */
import { createRequire } from 'node:module';
import type { Kafka, KafkaConfig } from 'kafkajs';

export const READ_UNCOMMITTED = 0;
export const EARLIEST = '-2';
export const LATEST = '-1';

export interface WirePartitionMetadata {
  readonly partitionId: number;
  readonly leader: number;
  readonly partitionErrorCode: number;
}

export interface WireTopicMetadata {
  readonly topic: string;
  readonly partitionMetadata: readonly WirePartitionMetadata[];
}

export interface WireMetadata {
  readonly brokers: readonly { nodeId: number; host: string; port: number }[];
  readonly topicMetadata: readonly WireTopicMetadata[];
}

export interface WireListOffsetsResponse {
  readonly responses: readonly {
    readonly topic: string;
    readonly partitions: readonly { partition: number; offset: string; errorCode: number }[];
  }[];
}

export interface WireOffsetFetchResponse {
  readonly responses: readonly {
    readonly topic: string;
    readonly partitions: readonly { partition: number; offset: string; errorCode: number }[];
  }[];
}

/** A record as kafkajs's RecordBatch decoder returns it. Header values are null, a buffer, or repeats. */
export interface WireRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | null | readonly (Buffer | null)[]>>;
  readonly isControlRecord?: boolean;
}

export interface WireFetchResponse {
  readonly responses: readonly {
    readonly topicName: string;
    readonly partitions: readonly {
      partition: number;
      errorCode: number;
      highWatermark: string;
      messages: readonly WireRecord[];
    }[];
  }[];
}

export interface WireBroker {
  listOffsets(req: {
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; timestamp: string }[] }[];
  }): Promise<WireListOffsetsResponse>;
  offsetFetch(req: {
    groupId: string;
    topics: { topic: string; partitions: { partition: number }[] }[];
  }): Promise<WireOffsetFetchResponse>;
  findGroupCoordinator(req: { groupId: string; coordinatorType: number }): Promise<{ coordinator: { nodeId: number } }>;
  fetch(req: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<WireFetchResponse>;
}

export interface WireCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  /** Metadata of every topic (no target topics are ever added) plus the broker list; one request. */
  refreshMetadata(): Promise<void>;
  readonly brokerPool: { readonly metadata: WireMetadata | null; withBroker<T>(cb: (b: { broker: WireBroker }) => Promise<T>): Promise<T | null> };
  findBroker(req: { nodeId: number | string }): Promise<WireBroker>;
}

interface InstrumentationEmitter {
  addListener(event: string, listener: (e: { payload: { apiName: string; broker: string } }) => void): () => void;
}

type ClusterCtor = new (opts: Record<string, unknown>) => WireCluster;
type EmitterCtor = new () => InstrumentationEmitter;
type SocketFactoryMaker = () => unknown;

const require = createRequire(import.meta.url);
const Cluster = require('kafkajs/src/cluster/index.js') as ClusterCtor;
const Emitter = require('kafkajs/src/instrumentation/emitter.js') as EmitterCtor;
const defaultSocketFactory = require('kafkajs/src/network/socketFactory.js') as SocketFactoryMaker;
const NETWORK_REQUEST = 'network.request';

export interface WireClusterOptions {
  readonly config: KafkaConfig;
  /** Called once per request sent on the wire (ApiVersions and SASL included). */
  readonly onRequest?: (apiName: string) => void;
}

/**
 * A kafkajs Cluster wired like `kafka.admin()` wires its own (same logger, retry, socket settings), with
 * auto topic creation off and an instrumentation emitter that lets us count round trips.
 */
export function createWireCluster(kafka: Kafka, opts: WireClusterOptions): WireCluster {
  const emitter = new Emitter();
  if (opts.onRequest) {
    const onRequest = opts.onRequest;
    emitter.addListener(NETWORK_REQUEST, (e) => onRequest(e.payload.apiName));
  }
  const c = opts.config;
  return new Cluster({
    logger: kafka.logger(),
    retry: c.retry,
    socketFactory: defaultSocketFactory(),
    brokers: c.brokers,
    ssl: c.ssl,
    sasl: c.sasl,
    clientId: c.clientId,
    connectionTimeout: c.connectionTimeout,
    authenticationTimeout: c.authenticationTimeout,
    requestTimeout: c.requestTimeout,
    enforceRequestTimeout: c.enforceRequestTimeout,
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
    instrumentationEmitter: emitter,
    isolationLevel: READ_UNCOMMITTED,
  });
}
