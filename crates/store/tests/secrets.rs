//! Database passwords in store URLs never show up in errors or Debug output.
use mlc_store::postgres::PgStore;

const SECRET: &str = "s3cret-Pa55word";

#[tokio::test]
async fn unsupported_urls_are_reported_without_their_password() {
    let err = mlc_store::open(&format!("mysql://app:{SECRET}@db.example.com/state"))
        .await
        .expect_err("unsupported");
    let text = format!("{err} {err:?}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(
        text.contains("mysql://app:***@db.example.com/state"),
        "{text}"
    );
    let err = mlc_store::open(&format!("app:{SECRET}@db"))
        .await
        .expect_err("unsupported");
    assert!(!format!("{err} {err:?}").contains(SECRET));
}

#[tokio::test]
async fn connection_failures_do_not_show_the_password() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let url = format!("postgres://app:{SECRET}@127.0.0.1:1/state?connect_timeout=2");
    let err = PgStore::connect(&url)
        .await
        .expect_err("nothing listens on port 1");
    let text = format!("{err} {err:?}");
    assert!(!text.contains(SECRET), "{text}");
}
