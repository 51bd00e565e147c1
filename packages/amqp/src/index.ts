// @image-catalog/amqp: an EventPublisher on RabbitMQ, with publisher confirms and Glance's oslo.messaging envelope.
export * from './amqp-event-publisher.js';
export * from './amqp-message.js';
