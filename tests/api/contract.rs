//! The GraphStore contract suite on each backend: embedded always; Bolt
//! against the ArcadeDB server that `scripts/test` starts (skipped, saying
//! so, when `BINGRAPH_TEST_BOLT` is unset, unless `BINGRAPH_REQUIRE_BOLT` is).

mod embedded {
    use std::sync::Arc;

    use bingraph::graph::embedded::EmbeddedStore;
    use bingraph::graph::{GraphStore, Schema};

    async fn fresh() -> Option<Arc<dyn GraphStore>> {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let store = EmbeddedStore::open(&dir.join("graph.db"))
            .await
            .expect("open");
        store.apply_schema(Schema::Analysis).await.expect("schema");
        Some(Arc::new(store))
    }

    bingraph::graph_store_contract_tests!(fresh());
}

mod bolt {
    use std::sync::Arc;

    use bingraph::graph::bolt::BoltStore;
    use bingraph::graph::{GraphStore, Schema};

    async fn fresh() -> Option<Arc<dyn GraphStore>> {
        let config = crate::support::bolt_database().await?;
        let store = BoltStore::connect(&config).await.expect("connect");
        store.apply_schema(Schema::Analysis).await.expect("schema");
        Some(Arc::new(store))
    }

    bingraph::graph_store_contract_tests!(fresh());
}
