//! At-least-once on both hops, exactly one reply at the end: Twilio
//! posting the same webhook three times (all three reach Kafka and the
//! ticket), and a Kafka record consumed a second time by the intake group
//! after a rebalance (its committed offset behind the record, as when an
//! intake dies between signal-with-start and its commit).

use crate::replies::*;
use crate::support::standins::*;
use crate::support::*;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::time::Duration;
use steward::app::{self, Roles};
use steward_domain::{Channel, ticket_workflow_id};
use steward_workflows::TicketWorkflow;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

const WAIT: Duration = Duration::from_secs(60);

/// How many `customer_message` signals the customer's ticket received.
async fn deliveries(app: &TestApp, phone: &str) -> usize {
    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .unwrap();
    let id = ticket_workflow_id(Channel::Whatsapp, phone);
    let Ok(events) = client
        .get_workflow_handle::<TicketWorkflow>(&id)
        .fetch_history(Default::default())
        .into_events()
        .await
    else {
        return 0;
    };
    events
        .iter()
        .filter(|e| {
            matches!(&e.attributes,
                Some(Attributes::WorkflowExecutionSignaledEventAttributes(a)) if a.signal_name == "customer_message")
        })
        .count()
}

async fn until_delivered(app: &TestApp, phone: &str, times: usize) {
    eventually(
        &format!("{times} deliveries to the ticket"),
        WAIT,
        || async { (deliveries(app, phone).await >= times).then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_webhook_three_times_is_one_message_one_ticket_one_reply() {
    let twilio = Twilio::default();
    let (settings, _queue) = with_standins(test_settings().await, &twilio).await;
    let app = spawn_app_with(settings, Roles::ALL).await;
    import_demo_kb(&app).await;
    let phone = unique_phone();
    let retried = first_message(&phone);
    for _ in 0..3 {
        assert_eq!(app.post_signed_whatsapp(&retried).await.status(), 200);
    }
    assert_eq!(app.inbound_message_count(), 3, "all three are on Kafka");
    until_delivered(&app, &phone, 3).await;
    let tally = one_reply_each(&app, &twilio, std::slice::from_ref(&phone), WAIT).await;
    assert_eq!(deliveries(&app, &phone).await, 3, "one run got all three");
    assert_eq!(tally.twilio_requests, 1);
    app.stop().await;
}

/// A consumer in the intake's group that commits only when told (to read
/// and move the group's offsets, never to consume).
fn intake_group_consumer(settings: &steward::settings::Settings) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", &settings.kafka.brokers)
        .set("group.id", &settings.intake.group_id)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap()
}

/// The partition holding the topic's only record, and the intake group's
/// committed offset there.
fn committed(settings: &steward::settings::Settings) -> (i32, i64) {
    let topic = settings.kafka.inbound_topic.as_str();
    let consumer = intake_group_consumer(settings);
    let partition = (0..3)
        .find(|p| {
            let (low, high) = consumer
                .fetch_watermarks(topic, *p, Duration::from_secs(5))
                .unwrap();
            high - low == 1
        })
        .expect("the record's partition");
    let mut list = TopicPartitionList::new();
    list.add_partition(topic, partition);
    let offsets = consumer
        .committed_offsets(list, Duration::from_secs(5))
        .unwrap();
    let offset = offsets.elements()[0].offset().to_raw().unwrap_or(-1);
    (partition, offset)
}

/// Commits `offset` on `partition` for the (empty) intake group.
fn rewind(settings: &steward::settings::Settings, partition: i32, offset: i64) {
    let consumer = intake_group_consumer(settings);
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(
        &settings.kafka.inbound_topic,
        partition,
        Offset::Offset(offset),
    )
    .unwrap();
    consumer.commit(&list, CommitMode::Sync).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kafka_record_consumed_again_after_a_rebalance_gets_one_reply() {
    let twilio = Twilio::default();
    let (settings, _queue) = with_standins(test_settings().await, &twilio).await;
    let roles = Roles {
        gateway: true,
        intake: false,
        worker: true,
    };
    let app = spawn_app_with(settings.clone(), roles).await;
    import_demo_kb(&app).await;
    let intake = app::start(&settings, Roles::INTAKE).await.unwrap();
    let phone = unique_phone();
    assert_eq!(
        app.post_signed_whatsapp(&first_message(&phone))
            .await
            .status(),
        200
    );
    eventually("the reply", WAIT, || async {
        answered(&twilio, &phone).then_some(())
    })
    .await;
    // The intake leaves the group with its offsets committed past the record.
    intake.shutdown().await;
    let (partition, offset) = committed(&settings);
    assert_eq!(offset, 1, "the record was consumed and committed");

    // The group's offset goes back behind the record; a new member joins,
    // is assigned the partition and reads the record again.
    rewind(&settings, partition, 0);
    assert_eq!(committed(&settings), (partition, 0));
    let intake = app::start(&settings, Roles::INTAKE).await.unwrap();
    until_delivered(&app, &phone, 2).await;
    eventually("the redelivery committed", WAIT, || async {
        (committed(&settings).1 == 1).then_some(())
    })
    .await;
    let tally = one_reply_each(&app, &twilio, &[phone], WAIT).await;
    assert_eq!(tally.twilio_requests, 1);
    intake.shutdown().await;
    app.stop().await;
}
