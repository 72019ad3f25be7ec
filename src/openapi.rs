//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::OpenApi;

use crate::http::{binaries, functions, graph, system};

/// Every documented route and schema.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "bingraph",
        description = "Binary intelligence as a property graph: ingest ELF, PE and Mach-O executables, then look them up by hash and explore their functions, call graph, call paths, symbols, strings and imports.\n\nEvery response is an envelope: `{\"status\":\"success\",\"data\":...,\"meta\":{request_id,timestamp,api_version,pagination?}}` or `{\"status\":\"error\",\"error\":{code,message,details?},\"meta\":...}`. Addresses are integers (virtual addresses as in the file), with `_hex` twins for people.",
        license(name = "Apache-2.0")
    ),
    paths(
        system::health,
        binaries::list_binaries, binaries::upload_binary, binaries::get_binary,
        binaries::symbols, binaries::strings, binaries::imports,
        functions::list_functions, functions::get_function, functions::callers, functions::callees,
        graph::graph, graph::paths,
    ),
    components(schemas(crate::error::ErrorEnvelope, crate::error::Meta, crate::error::Pagination)),
    tags(
        (name = "binaries", description = "Lookups by hash, the list, uploads, symbols, strings, imports"),
        (name = "functions", description = "Functions, their disassembly and CFG, callers and callees"),
        (name = "graph", description = "Call and data graphs, call paths"),
        (name = "system", description = "Health"),
    )
)]
pub struct ApiDoc;
