//! Bearer tokens, scopes and X-School-Id.

use serde_json::Value;
use uuid::Uuid;

use crate::common::{
    client, empty_sim, get_json, get_status, payload, post, post_status, READ_ONLY, WRITE,
};

#[tokio::test]
async fn missing_unknown_and_revoked_tokens_are_401() {
    let sim = empty_sim().await;
    let body = payload(&sim, 0, "2024-03-15", "present");
    let resp = client()
        .post(format!("{}/academic/attendance", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "unauthorized");
    assert_eq!(post_status(&sim, "who-knows", &body).await, 401);

    assert!(sim.revoke_token(WRITE));
    assert_eq!(
        post_status(&sim, WRITE, &body).await,
        401,
        "revoked means 401"
    );
    sim.add_token("t-new", &["write:attendance"]);
    assert_eq!(
        post_status(&sim, "t-new", &body).await,
        201,
        "then a new token works"
    );
    assert_eq!(sim.record_count(), 1);
}

#[tokio::test]
async fn a_missing_scope_is_403() {
    let sim = empty_sim().await;
    let body = payload(&sim, 0, "2024-03-15", "present");
    let resp = post(&sim, READ_ONLY, &body).await.unwrap();
    assert_eq!(resp.status(), 403);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "forbidden");
    assert_eq!(
        get_status(&sim, READ_ONLY, "/academic/attendance").await,
        200
    );
    let student = sim.students()[0].id;
    assert_eq!(
        get_status(&sim, READ_ONLY, &format!("/students/{student}")).await,
        403
    );

    sim.add_token("t-all", &["write:all", "read:all"]);
    assert_eq!(post_status(&sim, "t-all", &body).await, 201);
    assert_eq!(
        get_status(&sim, "t-all", &format!("/students/{student}")).await,
        200
    );
    sim.add_token("t-own", &["read:own_students"]);
    assert_eq!(
        get_status(&sim, "t-own", &format!("/students/{student}")).await,
        200
    );
    assert_eq!(get_status(&sim, "t-own", "/academic/attendance").await, 403);
}

#[tokio::test]
async fn school_selection_with_x_school_id() {
    let sim = empty_sim().await;
    let home = sim.school_id();
    let other = Uuid::new_v4();
    sim.add_token_for_schools(
        "t-multi",
        &["write:attendance", "read:attendance"],
        &[home, other],
    );
    let body = payload(&sim, 0, "2024-03-15", "present");
    let send = |token: &'static str, school: Option<Uuid>| {
        let mut req = client()
            .post(format!("{}/academic/attendance", sim.base_url()))
            .bearer_auth(token)
            .json(&body);
        if let Some(s) = school {
            req = req.header("X-School-Id", s.to_string());
        }
        req.send()
    };
    assert_eq!(
        send("t-multi", None).await.unwrap().status(),
        400,
        "several schools need one"
    );
    assert_eq!(
        send("t-multi", Some(Uuid::new_v4()))
            .await
            .unwrap()
            .status(),
        403
    );
    let resp = send("t-multi", Some(other)).await.unwrap();
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(
        v["school_id"],
        other.to_string(),
        "the record belongs to the chosen school"
    );

    assert_eq!(
        send(WRITE, None).await.unwrap().status(),
        201,
        "one school may omit it"
    );
    assert_eq!(send(WRITE, Some(home)).await.unwrap().status(), 201);
    assert_eq!(send(WRITE, Some(other)).await.unwrap().status(), 403);

    let listed: Vec<Value> = client()
        .get(format!("{}/academic/attendance", sim.base_url()))
        .bearer_auth("t-multi")
        .header("X-School-Id", other.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "a school sees only its own records");
    let home_list: Vec<Value> = get_json(&sim, WRITE, "/academic/attendance").await;
    assert_eq!(home_list.len(), 2);
}
