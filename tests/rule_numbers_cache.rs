#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The numbers in `cache-memory` messages, against hand computations.

use archc::diagnostic::Diagnostic;
use archc::rules::config::Config;

fn cache_memory(source: &str) -> Vec<Diagnostic> {
    let options = archc::BuildOptions {
        default_name: "numbers".into(),
        ..Default::default()
    };
    let compiled = archc::check(source, &options, &Config::default(), "2026-11-20");
    assert!(compiled.model.is_some(), "{:#?}", compiled.diagnostics);
    compiled
        .diagnostics
        .into_iter()
        .filter(|d| d.rule == "cache-memory")
        .collect()
}

fn design(cache: &str, db: &str) -> String {
    format!(
        "traffic {{ rate = 100/s }}\nclient users\nservice web {{ replicas = 2 }}\n\
         cache hot {{ {cache} }}\ndatabase db {{ {db} }}\n\
         users -> web -> hot -> db [read]\nweb -> db [write]\n"
    )
}

#[test]
fn uniform_keys_need_the_hit_ratio_of_all_keys() {
    // Uniform over 10M keys: 80% of reads needs 8M keys x 1KB = 8.0GB.
    // A copy holds 1GB x 2 x (1 - 20%) = 1.6GB. Per instance it would need
    // 8GB / (2 x 0.8) = 5.0GB; 1.6GB holds 1.6M keys = 16% of the reads.
    let d = cache_memory(&design(
        "replicas = 2  memory = 1GB  hit_ratio = 80%  item_size = 1KB  overprovision = 20%",
        "keys = uniform  key_count = 10M",
    ));
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].message,
        "cache `hot` needs the 8M most popular keys of `db` to reach its 80% hit ratio, 8.0GB at 1.0KB each, but a copy holds 1.6GB (1.0GB × 2 × (1 − 20%))"
    );
    assert_eq!(
        d[0].help.as_deref(),
        Some(
            "give `hot` at least 5.0GB of `memory` per instance, or lower `hit_ratio` to the 16% that fits"
        )
    );
}

#[test]
fn zipf_keys_need_only_the_popular_ones() {
    // zipf(1) over 4 keys: H4 = 1 + 1/2 + 1/3 + 1/4 = 2.0833. The top one
    // draws 48%, two 72%, three 88%: 80% needs 3 keys x 1KB = 3.0KB, and a
    // copy of one 2KB instance holds 2 keys, 72% of the reads.
    let d = cache_memory(&design(
        "memory = 2KB  hit_ratio = 80%  item_size = 1KB",
        "keys = zipf(1)  key_count = 4",
    ));
    assert_eq!(d.len(), 1);
    assert!(
        d[0].message.contains("needs the 3 most popular keys of `db` to reach its 80% hit ratio, 3.0KB at 1.0KB each, but a copy holds 2.0KB (2.0KB × 1 × (1 − 0%))"),
        "{}",
        d[0].message
    );
    assert!(d[0].help.as_deref().unwrap().contains("the 72% that fits"));

    // The same with a 3KB instance fits exactly: no finding.
    assert!(
        cache_memory(&design(
            "memory = 3KB  hit_ratio = 80%  item_size = 1KB",
            "keys = zipf(1)  key_count = 4",
        ))
        .is_empty()
    );
}

#[test]
fn hot_keys_count_among_the_most_popular() {
    // "a" draws 50%; zipf(1) over 4 keys shares the other 50% (key "1"
    // 0.5 x 48% = 24%, "2" 12%, ...). 80% needs "a" and then 30% more from
    // the zipf half, 60% of it: ranks 1 and 2 (72%). Three keys, 3.0KB.
    // Two keys ("a" and "1") draw 50% + 24% = 74%.
    let d = cache_memory(&design(
        "memory = 2KB  hit_ratio = 80%  item_size = 1KB",
        "keys = zipf(1)  key_count = 4  hot_keys = { \"a\" = 50% }",
    ));
    assert_eq!(d.len(), 1);
    assert!(
        d[0].message.contains("needs the 3 most popular keys"),
        "{}",
        d[0].message
    );
    assert!(d[0].help.as_deref().unwrap().contains("the 74% that fits"));
}

#[test]
fn silent_without_traffic_memory_or_database() {
    let no_traffic = design(
        "memory = 1KB  hit_ratio = 80%",
        "keys = uniform  key_count = 10M",
    )
    .replace("traffic { rate = 100/s }\n", "");
    assert!(cache_memory(&no_traffic).is_empty());
    assert!(cache_memory(&design("hit_ratio = 80%", "key_count = 10M")).is_empty());
    let session_store = "traffic { rate = 100/s }\nclient users\n\
        service web { replicas = 2  session = s }\ncache s { memory = 1KB }\n\
        database db { key_count = 10M }\nusers -> web -> db\nweb -> s\n";
    assert!(cache_memory(session_store).is_empty());
}
