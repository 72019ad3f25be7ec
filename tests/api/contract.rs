//! The GraphStore contract suite on the embedded backend.

use std::sync::Arc;

use bingraph::graph::embedded::EmbeddedStore;
use bingraph::graph::GraphStore;

async fn fresh() -> Arc<dyn GraphStore> {
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let store = EmbeddedStore::open(&dir.join("graph.db"))
        .await
        .expect("open");
    store.apply_schema().await.expect("schema");
    Arc::new(store)
}

bingraph::graph_store_contract_tests!(fresh());
