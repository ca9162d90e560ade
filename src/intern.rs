//! Interned text: the compact strings of events.
//!
//! Takes: any `&str`. Gives: a [`Str`], a 4-byte handle to one shared copy of the text that
//! lives as long as the process. Promises:
//! - equal texts get the same handle, so `==` is an integer compare;
//! - `Ord` and `Hash` are the text's own (never the order in which texts were first seen), so
//!   sorting, hashing and everything built on them stay deterministic whichever thread or test
//!   interned a text first;
//! - a handle is read from any thread without taking a lock.
//!
//! Why: a campaign's events repeat the same few values tens of millions of times (a member's
//! name and phone on each of their messages, the group's name, the source's name, the file a
//! row came from). As owned `String`s an event took about half a kilobyte; as handles it takes
//! under a hundred bytes (README, Performance). Texts are never freed: a run is one process,
//! and distinct values are a small fraction of the events.

use std::hash::{BuildHasher, Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use rustc_hash::FxBuildHasher;

/// A handle to an interned text (see the module docs). `Option<Str>` is 4 bytes too.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Str(NonZeroU32);

impl Str {
    /// The handle of `s`, interning it on first sight.
    pub fn new(s: &str) -> Str {
        interner().intern(s)
    }

    /// A number unique to the text within this process: a cheap map key where the order of
    /// iteration does not matter (it depends on which text was interned first).
    pub fn id(self) -> u32 {
        self.0.get()
    }

    /// The text.
    pub fn as_str(self) -> &'static str {
        let i = self.0.get() as usize;
        let bucket = (usize::BITS - 1 - i.leading_zeros()) as usize;
        let slots = TABLE[bucket]
            .get()
            .expect("a handle's bucket exists before the handle is given out");
        slots[i - (1 << bucket)]
            .get()
            .expect("a handle's text is stored before the handle is given out")
    }
}

/// Texts at most this long are copied into shared chunks; longer ones get an allocation each.
const CHUNK: usize = 64 * 1024;
const SHARDS: usize = 64;
/// Handle `i` lives in bucket `floor(log2 i)`, which holds `2^bucket` slots.
const BUCKETS: usize = 32;

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY_BUCKET: OnceLock<Box<[OnceLock<&'static str>]>> = OnceLock::new();
static TABLE: [OnceLock<Box<[OnceLock<&'static str>]>>; BUCKETS] = [EMPTY_BUCKET; BUCKETS];

struct Shard {
    map: std::collections::HashMap<&'static str, Str, FxBuildHasher>,
    /// The unused end of the current chunk.
    free: &'static mut [u8],
}

struct Interner {
    shards: Vec<Mutex<Shard>>,
    next: AtomicU32,
}

fn interner() -> &'static Interner {
    static INTERNER: OnceLock<Interner> = OnceLock::new();
    INTERNER.get_or_init(|| Interner {
        shards: (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    map: Default::default(),
                    free: &mut [],
                })
            })
            .collect(),
        next: AtomicU32::new(1),
    })
}

/// Slots of each thread's cache of texts it interned recently (a power of two).
const RECENT: usize = 4096;

thread_local! {
    /// Per thread, direct-mapped by the text's hash: (hash, handle id). A parser interns the
    /// same few hundred texts over and over (a group's name, its members' names and numbers, the
    /// source and the file); a hit costs one hash and one compare instead of the shard's lock
    /// and a probe into a table of millions.
    static RECENT_TEXTS: [std::cell::Cell<(u64, u32)>; RECENT] = const { [const { std::cell::Cell::new((0, 0)) }; RECENT] };
}

impl Interner {
    fn intern(&self, s: &str) -> Str {
        let hash = FxBuildHasher.hash_one(s);
        let slot = hash as usize & (RECENT - 1);
        let recent = RECENT_TEXTS.with(|r| r[slot].get());
        if let (true, Some(id)) = (recent.0 == hash, NonZeroU32::new(recent.1)) {
            let h = Str(id);
            if h.as_str() == s {
                return h;
            }
        }
        let h = self.intern_shared(s, hash);
        RECENT_TEXTS.with(|r| r[slot].set((hash, h.0.get())));
        h
    }

    fn intern_shared(&self, s: &str, hash: u64) -> Str {
        let shard = (hash as usize) % SHARDS;
        // A poisoned shard only means another thread panicked mid-insert; the map is still whole.
        let mut shard = self.shards[shard].lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&h) = shard.map.get(s) {
            return h;
        }
        let text = shard.store(s);
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        assert!(id < u32::MAX, "more than four billion distinct texts in one process");
        let i = id as usize;
        let bucket = (usize::BITS - 1 - i.leading_zeros()) as usize;
        let slots = TABLE[bucket].get_or_init(|| (0..1usize << bucket).map(|_| OnceLock::new()).collect());
        slots[i - (1 << bucket)].set(text).expect("each handle is given out once");
        let h = Str(NonZeroU32::new(id).expect("handles start at 1"));
        shard.map.insert(text, h);
        h
    }
}

impl Shard {
    /// A copy of `s` that lives for the rest of the process.
    fn store(&mut self, s: &str) -> &'static str {
        let n = s.len();
        if n > CHUNK / 8 {
            return Box::leak(s.to_owned().into_boxed_str());
        }
        if self.free.len() < n {
            self.free = Box::leak(vec![0u8; CHUNK].into_boxed_slice());
        }
        let (head, tail) = std::mem::take(&mut self.free).split_at_mut(n);
        head.copy_from_slice(s.as_bytes());
        self.free = tail;
        std::str::from_utf8(head).expect("copied from a str")
    }
}

/// Every text interned so far, by [`Str::id`] (index 0, no text, is `""`): for building columns
/// that point into one shared copy of the texts.
pub fn texts() -> Vec<&'static str> {
    let n = interner().next.load(Ordering::Acquire) as usize;
    let mut out = Vec::with_capacity(n);
    out.push("");
    for i in 1..n {
        let bucket = (usize::BITS - 1 - i.leading_zeros()) as usize;
        // A text being interned by another thread right now is not visible yet; no handle to it
        // can have been given out, so no column can point at it.
        let text = TABLE[bucket].get().and_then(|slots| slots[i - (1 << bucket)].get().copied());
        out.push(text.unwrap_or(""));
    }
    out
}

impl std::ops::Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl Hash for Str {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialOrd for Str {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Str {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self == other {
            return std::cmp::Ordering::Equal;
        }
        self.as_str().cmp(other.as_str())
    }
}

impl std::fmt::Debug for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        Str::new(s)
    }
}

impl From<&String> for Str {
    fn from(s: &String) -> Str {
        Str::new(s)
    }
}

impl From<String> for Str {
    fn from(s: String) -> Str {
        Str::new(&s)
    }
}

impl From<Str> for String {
    fn from(s: Str) -> String {
        s.as_str().to_string()
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Str> for &str {
    fn eq(&self, other: &Str) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Str> for str {
    fn eq(&self, other: &Str) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Str> for String {
    fn eq(&self, other: &Str) -> bool {
        self == other.as_str()
    }
}

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Str {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Str, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Str;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Str, E> {
                Ok(Str::new(v))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_a_handle_and_read_back() {
        let a = Str::new("Store 12 Halsted workers");
        let b = Str::new(&String::from("Store 12 Halsted workers"));
        let c = Str::new("Store 31 Pulaski workers");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.as_str(), "Store 12 Halsted workers");
        assert_eq!(&*c, "Store 31 Pulaski workers");
        assert_eq!(Str::new(""), "");
        let long = "x".repeat(CHUNK);
        assert_eq!(Str::new(&long).as_str(), long);
    }

    #[test]
    fn order_and_hash_are_the_texts_not_the_handles() {
        // Interned in reverse order: handles grow, the texts' order does not.
        let z = Str::new("zz order test");
        let a = Str::new("aa order test");
        assert!(a < z, "Ord follows the text");
        let mut v = vec![z, a];
        v.sort();
        assert_eq!(v, ["aa order test", "zz order test"]);
        let h = |x: &dyn Fn(&mut rustc_hash::FxHasher)| {
            let mut s = rustc_hash::FxHasher::default();
            x(&mut s);
            s.finish()
        };
        assert_eq!(h(&|s| a.hash(s)), h(&|s| "aa order test".hash(s)));
    }

    #[test]
    fn threads_interning_the_same_texts_agree() {
        let texts: Vec<String> = (0..20_000).map(|i| format!("member {i} ~\u{202f}Rosa 🌹")).collect();
        let per_thread: Vec<Vec<Str>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| s.spawn(|| texts.iter().map(|t| Str::new(t)).collect::<Vec<_>>()))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for got in &per_thread {
            assert_eq!(got, &per_thread[0]);
        }
        for (t, h) in texts.iter().zip(&per_thread[0]) {
            assert_eq!(h.as_str(), t);
        }
    }

    #[test]
    fn texts_are_listed_by_id() {
        let a = Str::new("texts listed by id: a");
        let b = Str::new("texts listed by id: b");
        let all = texts();
        assert_eq!(all[0], "");
        assert_eq!(all[a.id() as usize], "texts listed by id: a");
        assert_eq!(all[b.id() as usize], "texts listed by id: b");
    }

    #[test]
    fn serde_round_trips_the_text() {
        let s = Str::new("+1 (312) 555-0142");
        let bytes = postcard::to_stdvec(&s).unwrap();
        assert_eq!(bytes, postcard::to_stdvec("+1 (312) 555-0142").unwrap());
        let back: Str = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, s);
    }
}
