//! Staging a binary's documents while its graph write runs: the indexing
//! takes the core the (single-threaded) write leaves idle, and only the
//! binary documents and the commit are left for after it.

use std::sync::Arc;

use tantivy::{IndexWriter, Term};

use super::{add_head, add_parts, BinaryDocs, SearchError, SearchIndex};

impl SearchIndex {
    /// Start replacing one binary's documents: its symbol, string and
    /// function documents (`parts`) go to a new writer now, its binary
    /// documents and the commit come with [`Staged::commit`]. The ingest
    /// stages a binary while its graph write runs, so the indexing uses the
    /// core the write leaves idle. `None` when another writer holds the
    /// index (the caller indexes the usual way afterwards): staging never
    /// waits.
    pub fn stage(self: &Arc<Self>, parts: &BinaryDocs) -> Result<Option<Staged>, SearchError> {
        let Ok(_turn) = self.write.try_lock() else {
            return Ok(None);
        };
        let mut writer: IndexWriter = match self.new_writer() {
            Ok(w) => w,
            Err(tantivy::TantivyError::LockFailure(_, _)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        writer.delete_term(Term::from_field_text(self.f.binary, &parts.sha256));
        add_parts(&mut writer, &self.f, parts)?;
        Ok(Some(Staged {
            writer,
            index: self.clone(),
            sha256: parts.sha256.clone(),
        }))
    }
}

/// A binary's documents added to a writer, without its binary documents
/// and not committed (see [`SearchIndex::stage`]). It holds the index's
/// write lock: other writers wait (in-process and other processes alike)
/// until it is committed or dropped. Dropped without a commit, none of it
/// reaches the index.
pub struct Staged {
    writer: IndexWriter,
    index: Arc<SearchIndex>,
    sha256: String,
}

impl Staged {
    /// The binary staged.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Add the binary documents of `head` (same sha256; its symbols,
    /// strings and functions are not read) and commit.
    pub fn commit(mut self, head: &BinaryDocs) -> Result<(), SearchError> {
        assert_eq!(
            head.sha256, self.sha256,
            "a staged binary commits its own head"
        );
        add_head(&mut self.writer, &self.index.f, head)?;
        self.writer.commit()?;
        self.writer.wait_merging_threads()?;
        self.index.reader.reload()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::search::{SymbolDoc, TextQuery, ALL_VIEWERS};

    fn docs(sha: &str, symbol: &str) -> BinaryDocs {
        BinaryDocs {
            sha256: sha.into(),
            stamp: format!("stamp-{symbol}"),
            title: sha.into(),
            text: sha.into(),
            meta: serde_json::json!({}),
            symbols: vec![SymbolDoc {
                name: symbol.into(),
                demangled: None,
                addr: 0x1000,
                kind: "function".into(),
            }],
            ..BinaryDocs::default()
        }
    }

    fn hits(index: &SearchIndex, q: &str) -> u64 {
        index
            .search(&TextQuery {
                q: q.into(),
                viewer: ALL_VIEWERS.into(),
                kind: None,
                binary: None,
                offset: 0,
                limit: 10,
            })
            .unwrap()
            .total
    }

    #[test]
    fn staged_documents_appear_on_commit_only_and_replace_the_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let index = Arc::new(SearchIndex::open(dir.path()).unwrap());
        let sha = "ab".repeat(32);
        index
            .replace(&[docs(&sha, "old_symbol")], Duration::from_secs(5))
            .unwrap();
        assert_eq!(hits(&index, "old_symbol"), 1);

        // Dropped without a commit: nothing changes.
        let staged = index.stage(&docs(&sha, "new_symbol")).unwrap().unwrap();
        // While it is staged, no other writer gets the index, and staging
        // again does not wait.
        assert!(index.stage(&docs(&sha, "other")).unwrap().is_none());
        assert!(matches!(
            index.replace(&[docs(&sha, "other")], Duration::from_millis(200)),
            Err(SearchError::Busy(_))
        ));
        drop(staged);
        index.refresh().unwrap();
        assert_eq!(hits(&index, "old_symbol"), 1);
        assert_eq!(hits(&index, "new_symbol"), 0);

        // Committed: the binary's documents are the new ones, head included.
        let staged = index.stage(&docs(&sha, "new_symbol")).unwrap().unwrap();
        assert_eq!(staged.sha256(), sha);
        staged.commit(&docs(&sha, "ignored_parts")).unwrap();
        assert_eq!(hits(&index, "old_symbol"), 0);
        assert_eq!(hits(&index, "new_symbol"), 1);
        assert_eq!(
            hits(&index, "ignored_parts"),
            0,
            "the head's parts are not added"
        );
        assert_eq!(index.binaries().unwrap()[&sha], "stamp-ignored_parts");
    }
}
