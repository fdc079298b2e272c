//! The tests' PostgreSQL (`tests/postgres/start.sh`, started by the README's test command): one
//! database per hub data directory, so a hub restarted on the same directory finds its log again.
//! Shared by the integration tests, the store crate's tests and the PostgreSQL benchmark (they
//! include this file), so it needs nothing but the store crate.
#![allow(dead_code)]

use ecenter_store::PostgresConfig;
use std::path::Path;
use std::process::Command;

/// The tests' PostgreSQL port: `ECENTER_PG_PORT`, or 55432 as `tests/postgres/start.sh` starts it.
pub fn port() -> String {
    std::env::var("ECENTER_PG_PORT").unwrap_or_else(|_| "55432".into())
}

/// Runs SQL through Debian's `psql`; returns its unaligned output.
pub fn psql(dbname: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port(),
            "-U",
            "postgres",
            "-d",
            dbname,
        ])
        .args(["-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
        .output()
        .expect("psql runs (Debian's postgresql-client)");
    assert!(
        out.status.success(),
        "psql failed ({sql}): {} — is the tests' PostgreSQL running? tests/postgres/start.sh",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The database of the hub whose data directory is `data_dir`, made on first use.
pub fn database_for(data_dir: &Path) -> (String, PostgresConfig) {
    let digest = hex::encode(ecenter_store::chain::sha256(
        data_dir.as_os_str().as_encoded_bytes(),
    ));
    let name = format!("ecenter_{}", &digest[..20]);
    let exists = psql(
        "postgres",
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
    );
    if exists == "0" {
        psql("postgres", &format!("CREATE DATABASE {name}"));
    }
    let url = format!(
        "host=127.0.0.1 port={} user=postgres dbname={name} sslmode=disable",
        port()
    );
    let mut config = PostgresConfig::at(url);
    // A stopped instance's notices are taken over after six seconds here, not twenty.
    config.takeover_after_secs = Some(6);
    (name, config)
}

/// Makes PostgreSQL refuse every entry whose body holds `marker`, for as long as the table
/// `refuse_marked` holds a row: the batch that carries it fails in PostgreSQL, as a commit lost
/// with its server does, however often it is tried. Each refusal is counted in the sequence
/// `refusals` (a sequence is not rolled back with the refused transaction). Returns what lifts
/// the refusal.
pub fn refuse_entries_marked(db: &str, marker: &str) -> impl Fn() + use<> {
    psql(
        db,
        &format!(
            "CREATE TABLE refuse_marked (refuse boolean); INSERT INTO refuse_marked VALUES (true);
             CREATE SEQUENCE refusals;
             CREATE FUNCTION refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF EXISTS (SELECT 1 FROM refuse_marked)
                  AND position('{marker}' in convert_from(substring(NEW.entry from 33), 'UTF8')) > 0 THEN
                 PERFORM nextval('refusals');
                 RAISE EXCEPTION 'refused by the test';
               END IF;
               RETURN NEW;
             END $$;
             CREATE TRIGGER refuse_marked BEFORE INSERT ON ecenter_log
               FOR EACH ROW EXECUTE FUNCTION refuse_marked();"
        ),
    );
    let db = db.to_string();
    move || {
        psql(&db, "DELETE FROM refuse_marked");
    }
}

/// Waits (up to 20 s) until PostgreSQL has refused a marked entry at least once.
pub fn until_refused(db: &str) {
    for _ in 0..800 {
        if psql(db, "SELECT is_called FROM refusals") == "t" {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("PostgreSQL never refused the marked entry");
}
