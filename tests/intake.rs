//! Intake against the real broker and Temporal: poison messages go to the
//! DLQ with a reason and do not block the partition.

mod support;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Headers;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use rdkafka::{ClientConfig, Message};
use std::time::Duration;
use steward_domain::{Channel, Identity, InboundMessage, ticket_workflow_id};
use steward_workflows::TicketWorkflow;
use support::*;
use temporalio_client::WorkflowQueryOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_envelope_goes_to_the_dlq_with_a_reason_and_the_next_one_is_processed() {
    let app = spawn_app().await;
    let kafka = &app.settings.kafka;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &kafka.brokers)
        .create()
        .unwrap();
    let phone = unique_phone();
    // Same key, same partition: the good message waits behind the bad one.
    producer
        .send(
            FutureRecord::to(&kafka.inbound_topic)
                .key(&phone)
                .payload(&b"\xffnot protobuf"[..]),
            Timeout::After(Duration::from_secs(5)),
        )
        .await
        .unwrap();
    let good = InboundMessage {
        envelope_id: "env-good".into(),
        correlation_id: "corr-good".into(),
        channel: Channel::Whatsapp,
        provider_message_id: format!("SM{}", uuid::Uuid::new_v4().simple()),
        conversation_key: phone.clone(),
        sender: Identity::phone(&phone).unwrap(),
        sender_name: String::new(),
        subject: String::new(),
        body: "after the poison".into(),
        received_at_unix_ms: 1_700_000_000_000,
        media: vec![],
        recipient: String::new(),
        reply_address: String::new(),
    };
    producer
        .send(
            FutureRecord::to(&kafka.inbound_topic)
                .key(&phone)
                .payload(&good.encode_envelope()),
            Timeout::After(Duration::from_secs(5)),
        )
        .await
        .unwrap();

    let dlq: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &kafka.brokers)
        .set("group.id", format!("dlq-reader-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    dlq.subscribe(&[&kafka.dlq_topic]).unwrap();
    let dead = tokio::time::timeout(Duration::from_secs(30), dlq.recv())
        .await
        .expect("a DLQ message within 30 s")
        .unwrap();
    assert_eq!(dead.payload().unwrap(), b"\xffnot protobuf");
    assert_eq!(dead.key().unwrap(), phone.as_bytes());
    let headers = dead.headers().unwrap();
    let reason = headers
        .iter()
        .find(|h| h.key == "dlq-reason")
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .expect("a dlq-reason header");
    assert!(reason.contains("protobuf"), "{reason}");
    assert!(headers.iter().any(|h| h.key == "dlq-source"));

    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .unwrap();
    let workflow_id = ticket_workflow_id(Channel::Whatsapp, &phone);
    eventually(
        "the good message behind the poison to be recorded",
        Duration::from_secs(30),
        || async {
            client
                .get_workflow_handle::<TicketWorkflow>(workflow_id.as_str())
                .query(TicketWorkflow::status, (), WorkflowQueryOptions::default())
                .await
                .ok()
                .filter(|v| v.messages_recorded == 1)
        },
    )
    .await;
    app.stop().await;
}
