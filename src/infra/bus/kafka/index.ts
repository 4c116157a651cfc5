export { KafkaBus, type KafkaBusOptions } from './kafka.bus.js';
export { KAFKA_COMPRESSION } from './producer.js';
