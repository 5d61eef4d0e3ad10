//! Parsed GraphQL documents kept between requests: a front end sends the same few documents
//! over and over, so a document seen before is not parsed again; and a front end may send a
//! document's SHA-256 instead of its text, as Apollo's clients do (*automatic persisted
//! queries*: `extensions.persistedQuery = { "version": 1, "sha256Hash": "…" }`; an unknown
//! hash answers `PERSISTED_QUERY_NOT_FOUND` and the client sends the text with the hash once).
//!
//! Documents are kept per principal (the operator or API key), never shared: a document can
//! hold literals (a codice fiscale searched for), and a shared cache would tell anyone who
//! asks by hash, or who times a request, that someone else sent it. Anonymous requests are
//! neither cached nor answered by hash. The cache is bounded by the size of the texts it
//! holds; the least recently used documents go first.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ErrorExtensionValues, ServerError};
use sha2::{Digest, Sha256};

/// The largest document text kept (bytes); larger documents are parsed every time.
pub const MAX_TEXT: usize = 32 * 1024;
/// The most text bytes kept in all by default (a parsed document takes several times its
/// text); `api.documents_kib` sets it.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// The most documents kept.
const MAX_ENTRIES: usize = 4_096;

/// Who a document belongs to and its SHA-256.
type Key = (Arc<str>, [u8; 32]);

/// A kept document: its text (to answer a hash with it) and its parsed form.
struct Entry {
    text: Arc<str>,
    doc: Arc<ExecutableDocument>,
}

struct Inner {
    lru: lru::LruCache<Key, Entry>,
    bytes: usize,
}

/// The documents of recent requests, per principal.
pub struct Documents {
    inner: Mutex<Inner>,
    max_bytes: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents").field("max_bytes", &self.max_bytes).finish_non_exhaustive()
    }
}

impl Default for Documents {
    fn default() -> Self {
        Self::new(MAX_BYTES)
    }
}

/// A request's document once resolved: its text, parsed when it parses and passes the
/// request limits (otherwise GraphQL parses it again and reports why it cannot run).
pub struct Resolved {
    /// The document's text.
    pub query: String,
    /// The parsed document.
    pub doc: Option<ExecutableDocument>,
}

/// `extensions.persistedQuery` of a request.
#[derive(serde::Deserialize)]
struct PersistedQuery {
    version: i64,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

/// A request error with a `code` extension.
fn error(code: &str, message: &str) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    e.extensions = Some(ext);
    e
}

/// A SHA-256 in lower-case hexadecimal, decoded.
fn decode_hash(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)).then_some(out)
}

impl Documents {
    /// A cache holding at most `max_bytes` of document text.
    pub fn new(max_bytes: usize) -> Self {
        let cap = NonZeroUsize::new(MAX_ENTRIES).unwrap_or(NonZeroUsize::MIN);
        Self {
            inner: Mutex::new(Inner { lru: lru::LruCache::new(cap), bytes: 0 }),
            max_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Documents found and not found so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    fn get(&self, key: &Key) -> Option<(Arc<str>, Arc<ExecutableDocument>)> {
        // A poisoned lock only means no cache: every document is parsed.
        let mut inner = self.inner.lock().ok()?;
        inner.lru.get(key).map(|e| (e.text.clone(), e.doc.clone()))
    }

    fn put(&self, key: Key, text: &str, doc: ExecutableDocument) {
        if text.len() > MAX_TEXT || text.len() > self.max_bytes {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else { return };
        let entry = Entry { text: Arc::from(text), doc: Arc::new(doc) };
        inner.bytes += text.len();
        if let Some((_, old)) = inner.lru.push(key, entry) {
            inner.bytes -= old.text.len();
        }
        while inner.bytes > self.max_bytes {
            match inner.lru.pop_lru() {
                Some((_, old)) => inner.bytes -= old.text.len(),
                None => break,
            }
        }
    }

    /// The document of a request from `principal` (`None`: anonymous): its `query` text, or
    /// the document `extensions.persistedQuery` names by hash (the entry is taken out of
    /// `extensions`). A text with a hash that does not match it, an unknown hash and a
    /// malformed `persistedQuery` are request errors with a code.
    pub fn resolve(
        &self,
        principal: Option<&str>,
        query: Option<String>,
        extensions: &mut async_graphql::Extensions,
    ) -> Result<Resolved, ServerError> {
        let persisted = match extensions.remove("persistedQuery") {
            None => None,
            Some(value) => {
                let pq: PersistedQuery = async_graphql::from_value(value)
                    .map_err(|_| error("PERSISTED_QUERY_INVALID", "persistedQuery needs a version and a sha256Hash"))?;
                if pq.version != 1 {
                    return Err(error("PERSISTED_QUERY_INVALID", "only version 1 of persistedQuery is supported"));
                }
                let hash = decode_hash(&pq.sha256_hash).ok_or_else(|| {
                    error("PERSISTED_QUERY_INVALID", "sha256Hash is 64 lower-case hexadecimal digits")
                })?;
                Some(hash)
            }
        };
        let query = query.filter(|q| !q.is_empty());
        let Some(query) = query else {
            // A hash alone: only a document this principal sent before.
            let found = match (principal, persisted) {
                (Some(p), Some(hash)) => self.get(&(Arc::from(p), hash)),
                _ => None,
            };
            return match found {
                Some((text, doc)) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    Ok(Resolved { query: text.to_string(), doc: Some(ExecutableDocument::clone(&doc)) })
                }
                None if persisted.is_some() => {
                    self.misses.fetch_add(1, Ordering::Relaxed);
                    Err(error("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound"))
                }
                None => Err(error("BAD_REQUEST", "the query is missing")),
            };
        };
        let hash: [u8; 32] = Sha256::digest(query.as_bytes()).into();
        if persisted.is_some_and(|p| p != hash) {
            return Err(error("PERSISTED_QUERY_HASH_MISMATCH", "sha256Hash is not the SHA-256 of the query"));
        }
        let Some(principal) = principal else {
            return Ok(Resolved { query, doc: None });
        };
        let key = (Arc::from(principal), hash);
        if let Some((_, doc)) = self.get(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Resolved { query, doc: Some(ExecutableDocument::clone(&doc)) });
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        // Only a document that would run is kept: one that does not parse, or asks for more
        // than the limits allow, is left to GraphQL to refuse, every time.
        let Ok(doc) = async_graphql::parser::parse_query(&query) else {
            return Ok(Resolved { query, doc: None });
        };
        if crate::limits::check(&doc).is_ok() {
            self.put(key, &query, doc.clone());
        }
        Ok(Resolved { query, doc: Some(doc) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(text: &str) -> String {
        Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    fn pq(hash: &str) -> async_graphql::Extensions {
        let mut ext = async_graphql::Extensions::default();
        let value = serde_json::json!({ "version": 1, "sha256Hash": hash });
        ext.insert("persistedQuery".into(), async_graphql::Value::from_json(value).unwrap_or_default());
        ext
    }

    fn code(e: &ServerError) -> String {
        match e.extensions.as_ref().and_then(|x| x.get("code")) {
            Some(async_graphql::Value::String(c)) => c.clone(),
            _ => String::new(),
        }
    }

    const Q: &str = "{ orgUnits { id } }";

    #[test]
    fn a_hash_answers_only_the_principal_who_sent_the_text() {
        let docs = Documents::default();
        // Unknown: the client is told to send the text.
        let e = docs.resolve(Some("op.roma1"), None, &mut pq(&sha(Q))).err().map(|e| code(&e));
        assert_eq!(e.as_deref(), Some("PERSISTED_QUERY_NOT_FOUND"));
        // Text and hash: kept.
        let r = docs.resolve(Some("op.roma1"), Some(Q.into()), &mut pq(&sha(Q))).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(r.doc.is_some());
        // The hash alone now answers with the document, for the same principal only.
        let r = docs.resolve(Some("op.roma1"), None, &mut pq(&sha(Q))).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.query, Q);
        assert!(r.doc.is_some());
        for other in [Some("op.lecce"), None] {
            let e = docs.resolve(other, None, &mut pq(&sha(Q))).err().map(|e| code(&e));
            assert_eq!(e.as_deref(), Some("PERSISTED_QUERY_NOT_FOUND"), "{other:?}");
        }
        assert_eq!(docs.counts(), (1, 4));
    }

    #[test]
    fn malformed_and_mismatched_hashes_are_refused() {
        let docs = Documents::default();
        let e = |q: Option<&str>, ext: &mut async_graphql::Extensions| {
            docs.resolve(Some("a"), q.map(str::to_string), ext).err().map(|e| code(&e))
        };
        assert_eq!(e(Some(Q), &mut pq(&sha("{ me { id } }"))).as_deref(), Some("PERSISTED_QUERY_HASH_MISMATCH"));
        assert_eq!(e(None, &mut pq("abc")).as_deref(), Some("PERSISTED_QUERY_INVALID"));
        assert_eq!(e(None, &mut pq(&sha(Q).to_uppercase())).as_deref(), Some("PERSISTED_QUERY_INVALID"));
        assert_eq!(e(None, &mut pq(&"é".repeat(32))).as_deref(), Some("PERSISTED_QUERY_INVALID"));
        let mut v2 = async_graphql::Extensions::default();
        v2.insert(
            "persistedQuery".into(),
            async_graphql::Value::from_json(serde_json::json!({ "version": 2, "sha256Hash": sha(Q) }))
                .unwrap_or_default(),
        );
        assert_eq!(e(None, &mut v2).as_deref(), Some("PERSISTED_QUERY_INVALID"));
        assert_eq!(e(None, &mut async_graphql::Extensions::default()).as_deref(), Some("BAD_REQUEST"));
    }

    #[test]
    fn only_documents_that_would_run_are_kept_within_the_budget() {
        let big = Documents::default();
        let key = |t: &str| (Arc::from("a"), Sha256::digest(t.as_bytes()).into());
        // Does not parse: not kept, left to GraphQL.
        let r = big.resolve(Some("a"), Some("{ x".into()), &mut Default::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(r.doc.is_none());
        assert!(big.get(&key("{ x")).is_none());
        // Over the limits: parsed, not kept.
        let many: String = (0..31).map(|i| format!("a{i}: orgUnits {{ id }} ")).collect();
        let many = format!("{{ {many} }}");
        let r = big.resolve(Some("a"), Some(many.clone()), &mut Default::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(r.doc.is_some());
        assert!(big.get(&key(&many)).is_none());
        // Within the limits: kept.
        big.resolve(Some("a"), Some(Q.into()), &mut Default::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(big.get(&key(Q)).is_some());
        // Kept until the budget forces the oldest out.
        let docs = Documents::new(100);
        let texts: Vec<String> = (0..6).map(|i| format!("{{ f{i}: orgUnits {{ id }} }}")).collect();
        for t in &texts {
            docs.resolve(Some("a"), Some(t.clone()), &mut Default::default()).unwrap_or_else(|e| panic!("{e:?}"));
        }
        let kept = |t: &str| docs.get(&(Arc::from("a"), Sha256::digest(t.as_bytes()).into())).is_some();
        assert!(kept(&texts[5]));
        assert!(!kept(&texts[0]));
        assert!(docs.inner.lock().map(|i| i.bytes <= 100).unwrap_or(false));
    }
}
