//! Three `ecenterd` processes on one PostgreSQL log, under concurrent load, one of them killed
//! with `kill -9` thirty times and started again: every acknowledged filing is on every instance
//! with its bytes, no request id filed twice (clients retry on another instance with the same id),
//! and the chain PostgreSQL holds verifies (`clerk verify-log --postgres`) to the head every
//! instance names.

mod common;

use common::instances::*;
use common::postgres::database_for;
use std::time::Duration;

const INSTANCES: usize = 3;
const KILLS: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_kill_9s_of_one_of_three_instances_lose_and_duplicate_no_filing() {
    let root = tempfile::tempdir().unwrap();
    let (_, config) = database_for(root.path());
    let mut instances = Vec::new();
    let mut started = Vec::new();
    for i in 0..INSTANCES {
        let (instance, addr) = Instance::start(&root.path().join(format!("hub{i}")), &config.url);
        instances.push(instance);
        started.push(addr);
    }
    let load = Load::start(started);
    for kill in 0..KILLS {
        let target = load.acknowledged() + 10;
        while load.acknowledged() < target {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let victim = (kill * 7 + 1) % INSTANCES;
        let addr = instances[victim].kill_and_restart();
        load.addrs.lock().unwrap()[victim] = addr;
    }
    let (addrs, acked) = load.finish().await;
    assert!(acked.len() >= KILLS * 10);
    every_instance_has_every_filing_once(&addrs, &acked).await;
    the_chain_verifies_to_every_instances_head(&addrs, &config.url).await;
}
