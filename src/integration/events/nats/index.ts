// The NATS JetStream transport's public face.
export { NatsTransport } from './nats-transport.js';
export type { NatsTransportOptions } from './nats-transport.js';
