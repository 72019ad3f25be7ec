//! bingraph: binary intelligence as a property graph.
pub mod analysis;
