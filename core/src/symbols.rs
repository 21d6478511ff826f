//! Interned names and ids: every distinct string is stored once and referred to by a `Sym`.
//!
//! After ingestion the table is *canonicalised*: symbols are renumbered in lexicographic order of
//! their text, so that ordering by `Sym` equals ordering by text. That makes every sort in the engine
//! independent of the order in which rows arrived.

use std::num::NonZeroU32;

use indexmap::IndexSet;
use rustc_hash::FxBuildHasher;

/// A handle to an interned string; only meaningful with the `Symbols` table that issued it.
/// (`Option<Sym>` is four bytes: the handle stores its position plus one.)
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(NonZeroU32);

impl Sym {
    /// The handle's position in its table.
    pub fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }

    /// The handle at a position (the inverse of [`Sym::index`]).
    pub fn from_index(index: usize) -> Sym {
        Sym(NonZeroU32::MIN.saturating_add(index as u32))
    }
}

/// The table of interned strings.
#[derive(Debug, Default, Clone)]
pub struct Symbols {
    set: IndexSet<Box<str>, FxBuildHasher>,
}

impl Symbols {
    /// Returns the symbol for `text`, adding it if it is new.
    pub fn intern(&mut self, text: &str) -> Sym {
        if let Some(index) = self.set.get_index_of(text) {
            return Sym::from_index(index);
        }
        let (index, _) = self.set.insert_full(text.into());
        Sym::from_index(index)
    }

    /// Returns the symbol for `text` if it was interned.
    pub fn get(&self, text: &str) -> Option<Sym> {
        self.set.get_index_of(text).map(Sym::from_index)
    }

    /// The text of a symbol.
    pub fn text(&self, sym: Sym) -> &str {
        self.set.get_index(sym.index()).map_or("", |s| s)
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// True when nothing has been interned.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Renumbers symbols in lexicographic order; returns the map old index -> new symbol.
    pub fn canonicalize(&mut self) -> Remap {
        let mut order: Vec<u32> = (0..self.set.len() as u32).collect();
        crate::order::sort_unstable_by(&mut order, |&a, &b| {
            self.text(Sym::from_index(a as usize))
                .cmp(self.text(Sym::from_index(b as usize)))
        });
        let mut new_of_old = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_of_old[old as usize] = new as u32;
        }
        let old = std::mem::take(&mut self.set);
        let mut slots: Vec<Option<Box<str>>> = old.into_iter().map(Some).collect();
        let mut set = IndexSet::with_capacity_and_hasher(slots.len(), FxBuildHasher);
        for &old_index in &order {
            if let Some(text) = slots[old_index as usize].take() {
                set.insert(text);
            }
        }
        self.set = set;
        Remap { new_of_old }
    }
}

/// The renumbering produced by [`Symbols::canonicalize`].
#[derive(Debug)]
pub struct Remap {
    new_of_old: Vec<u32>,
}

impl Remap {
    /// The new symbol for an old one.
    pub fn map(&self, sym: Sym) -> Sym {
        Sym::from_index(self.new_of_old[sym.index()] as usize)
    }

    /// The new symbol for an optional old one.
    pub fn map_opt(&self, sym: Option<Sym>) -> Option<Sym> {
        sym.map(|s| self.map(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_order_is_lexicographic() {
        let mut symbols = Symbols::default();
        let c = symbols.intern("c");
        let a = symbols.intern("a");
        let b = symbols.intern("b");
        assert_eq!(symbols.intern("a"), a);
        let remap = symbols.canonicalize();
        assert_eq!(remap.map(a), Sym::from_index(0));
        assert_eq!(remap.map(b), Sym::from_index(1));
        assert_eq!(remap.map(c), Sym::from_index(2));
        assert_eq!(symbols.text(Sym::from_index(2)), "c");
        assert_eq!(symbols.get("b"), Some(Sym::from_index(1)));
    }
}
